"""The simulated Soulseek network behind the reference server.

Real slskd talks to the Soulseek server: a send or an acknowledgement fails unless the
client is connected and logged in, and incoming private messages arrive from other
users at any time. A conformance run cannot create incoming messages through the REST
API, so the reference server simulates peers: an *echo peer* answers every message it is
sent with one incoming message, delivered before the send's 201 so a checker needs no
polling. Whatever this module raises reaches the HTTP layer as slskd's global exception
handler would show it: 500 with the message as a JSON string.
"""

from __future__ import annotations

import itertools
from typing import NamedTuple


class SoulseekError(Exception):
    """What the Soulseek client library throws; its text is the 500 body."""


class Incoming(NamedTuple):
    username: str
    id: int  # assigned by the Soulseek server, positive
    message: str


class SimulatedNetwork:
    """The Soulseek server connection, as slskd's client library would report and enforce it."""

    def __init__(self, *, logged_in: bool, echo_peers: tuple[str, ...], last_id: int = 0) -> None:
        self.logged_in = logged_in  # switchable at run time, like a dropped connection
        self.echo_peers = frozenset(echo_peers)
        self._ids = itertools.count(last_id + 1)

    @property
    def state(self) -> str:
        """slskd's `SoulseekClientStates` flags, as text."""
        return "Connected, LoggedIn" if self.logged_in else "Disconnected"

    def send(self, username: str, message: str) -> None:
        """Send a private message; the checks run in the client library's order."""
        if not username.strip():
            raise SoulseekError(
                "The username must not be a null or empty string, or one consisting only of whitespace "
                "(Parameter 'username')"
            )
        self._require_login("send a private message")

    def acknowledge(self, message_id: int) -> None:
        """Tell the server a message was read, so that it stops replaying it at login."""
        self._require_login("acknowledge private messages")

    def reply(self, username: str, message: str) -> Incoming | None:
        """The message an echo peer sends back, or None for any other user."""
        if username not in self.echo_peers:
            return None
        return Incoming(username, next(self._ids), f"echo: {message}")

    def _require_login(self, action: str) -> None:
        if not self.logged_in:
            raise SoulseekError(
                f"The server connection must be connected and logged in to {action} (currently: {self.state})"
            )

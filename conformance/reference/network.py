"""The Soulseek network behind the reference server: simulated in-process, or a real connection.

Real slskd talks to the Soulseek server: a send or an acknowledgement fails unless the
client is connected and logged in, and incoming private messages arrive from other
users at any time. Two implementations share that contract (`SoulseekNetwork`):

- `SimulatedNetwork` (the default) needs no server: an *echo peer* answers every message it
  is sent with one incoming message, delivered before the send's 201 so a checker needs no
  polling;
- `conformance.reference.soulseek.SoulseekConnection` logs in to a Soulseek server (such as
  `conformance network`) and sends, receives and acknowledges over the protocol.

Whatever they raise reaches the HTTP layer as slskd's global exception handler would show
it: 500 with the message as a JSON string.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import NamedTuple

DEFAULT_USERNAME = "slskd-reference"  # the account the reference reports (and logs in as)


class SoulseekError(Exception):
    """What the Soulseek client library throws; its text is the 500 body."""


class Incoming(NamedTuple):
    username: str
    id: int  # assigned by the Soulseek server, positive
    message: str
    timestamp_s: int | None = None  # the server's whole second; None: stamp on arrival
    replayed: bool = False  # delivered again at login because it was never acknowledged


Receiver = Callable[[Incoming], None]


class SoulseekNetwork:
    """The server connection as slskd's client library reports and enforces it."""

    username = DEFAULT_USERNAME
    logged_in = False

    @property
    def state(self) -> str:
        """slskd's `SoulseekClientStates` flags, as text."""
        return "Connected, LoggedIn" if self.logged_in else "Disconnected"

    def start(self, receive: Receiver) -> None:
        """Begin delivering incoming messages to `receive`."""

    def close(self) -> None:
        """Let go of the connection, if there is one."""

    def send(self, username: str, message: str) -> None:
        raise NotImplementedError

    def acknowledge(self, message_id: int) -> None:
        raise NotImplementedError

    def reply(self, username: str, message: str) -> Incoming | None:
        """An answer available at once, before the send returns (only a simulated peer has one)."""
        return None

    def _check_send(self, username: str) -> None:
        """The client library's checks before a private message, in its order."""
        if not username.strip():
            raise SoulseekError(
                "The username must not be a null or empty string, or one consisting only of whitespace "
                "(Parameter 'username')"
            )
        self._require_login("send a private message")

    def _require_login(self, action: str) -> None:
        if not self.logged_in:
            raise SoulseekError(
                f"The server connection must be connected and logged in to {action} (currently: {self.state})"
            )


class SimulatedNetwork(SoulseekNetwork):
    """An in-process network: sends succeed while `logged_in`, echo peers answer at once."""

    def __init__(self, *, logged_in: bool, echo_peers: tuple[str, ...], last_id: int = 0) -> None:
        self.logged_in = logged_in  # switchable at run time, like a dropped connection
        self.echo_peers = frozenset(echo_peers)
        self._ids = itertools.count(last_id + 1)

    def send(self, username: str, message: str) -> None:
        self._check_send(username)

    def acknowledge(self, message_id: int) -> None:
        """Tell the server a message was read, so that it stops replaying it at login."""
        self._require_login("acknowledge private messages")

    def reply(self, username: str, message: str) -> Incoming | None:
        """The message an echo peer sends back, or None for any other user."""
        if username not in self.echo_peers:
            return None
        return Incoming(username, next(self._ids), f"echo: {message}")

"""A client of the network's control API (`control.py`), for the checker's proof and checks.

It talks to our own tool, not to the target: plain `requests`, outside the run's guarded
session (which counts, paces and records the target's traffic only). Every failure is a
`ControlError` with one line saying what went wrong.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import requests


class ControlError(Exception):
    """The control API could not be reached or answered something it never answers."""


class ControlClient:
    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout

    def sessions(self) -> list[dict[str, Any]]:
        return self._json("GET", "/sessions", list)

    def peers(self) -> list[dict[str, Any]]:
        return self._json("GET", "/peers", list)

    def rooms(self) -> list[dict[str, Any]]:
        """Each chat room now: its members and clients, chatter, flags, and every message said,
        ticker set and member added (`control.py` says each field)."""
        return self._json("GET", "/rooms", list)

    def searches(self, token: int | None = None) -> list[dict[str, Any]]:
        """Each FileSearch the network received and every response its peers sent for it
        (`conformance.peers.record`'s shape); only the search `token`'s when given."""
        return self._json("GET", "/searches" if token is None else f"/searches?token={token}", list)

    def transfers(self, peer: str | None = None) -> list[dict[str, Any]]:
        """Each download request the sharing peers received and what it became
        (`conformance.peers.transfer_log`'s shape); only `peer`'s when given."""
        return self._json("GET", "/transfers" if peer is None else f"/transfers?peer={quote(peer)}", list)

    def unimplemented(self) -> list[dict[str, Any]]:
        """Each request code the network did not carry out since it started: code, name, count,
        users and the refusal it answered (None: none)."""
        return self._json("GET", "/unimplemented", list)

    def account(self, username: str) -> dict[str, Any]:
        """What the account sent, was delivered and acknowledged (empty when it has done nothing)."""
        found = self._json("GET", f"/accounts/{quote(username, safe='')}", dict, missing_ok=True)
        return found or {"sent": [], "delivered": [], "acknowledged": [], "unacknowledged": []}

    def disconnect(self, username: str) -> None:
        """Drop the user's connection (no kick): a client that reconnects logs in again."""
        response = self._request("POST", f"/sessions/{quote(username, safe='')}/disconnect")
        if response.status_code != 204:
            raise ControlError(f"{response.url} answered {response.status_code}: {username!r} not logged in")

    def peer_sends(self, peer: str, to: str, message: str, count: int = 1) -> list[int]:
        body = {"to": to, "message": message, "count": count}
        return self._json("POST", f"/peers/{quote(peer, safe='')}/messages", dict, body=body)["ids"]

    def _request(self, method: str, path: str, body: Any = None) -> requests.Response:
        url = f"{self.url}{path}"
        try:
            return requests.request(method, url, json=body, timeout=self.timeout)
        except requests.RequestException as error:
            reason = type(error).__name__
            raise ControlError(f"cannot reach the network control API at {url}: {reason}") from None

    def _json(self, method: str, path: str, kind: type, *, body: Any = None, missing_ok: bool = False) -> Any:
        response = self._request(method, path, body)
        url = response.url
        if missing_ok and response.status_code == 404:
            return None
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not response.ok or not isinstance(answer, kind):
            raise ControlError(
                f"{method} {url} answered {response.status_code} without what `conformance network` answers"
            )
        return answer

"""A minimal slskd-like JSON API: the routes preflight and login read, plus conversations and
empty lists of searches and downloads.

Just enough of slskd's contract for the happy path and for recording writes: empty-bodied
401s, `GET /session/enabled` anonymous, `POST /session` issuing a token, JSON strings and
objects elsewhere. Every other route answers 404 with an empty body, like slskd's API.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import unquote

from tests.servers.local import Handler, Received, Reply

ISSUED_TOKEN = "eyJhbGciOiJIUzI1NiJ9.issued-by-fake-slskd.signature"


@dataclass
class FakeSlskd:
    api_key: str | None = "fake-api-key-0123456789"  # None: authentication disabled
    users: dict[str, str] = field(default_factory=lambda: {"alice": "alice-password-42"})
    version: str = "0.26.0"
    logged_in: bool = True
    session_enabled: bool | None = None  # what GET /session/enabled says; None: the truth
    has_session_enabled: bool = True  # False: the route answers 404, as it may on a slskd

    @property
    def handler(self) -> Handler:
        return self.answer

    def answer(self, request: Received) -> Reply:
        path = request.path.rstrip("/").lower()
        if path == "/api/v0/session/enabled" and request.method == "GET":
            if not self.has_session_enabled:  # no such route: routing answers before authentication
                return Reply(404)
            said = self.api_key is not None if self.session_enabled is None else self.session_enabled
            return Reply.json(json.dumps(said))
        if path == "/api/v0/session" and request.method == "POST":
            return self._login(request)
        if not self._authenticated(request):
            return Reply(401, headers={"WWW-Authenticate": "Bearer"})
        if path == "/api/v0/application/version":
            return Reply.json(json.dumps(self.version))
        if path == "/api/v0/server":
            state = "Connected, LoggedIn" if self.logged_in else "Disconnected"
            return Reply.json(json.dumps({"state": state, "isLoggedIn": self.logged_in}))
        if path == "/api/v0/conversations":
            return Reply.json("[]")
        if path.startswith("/api/v0/conversations/"):
            username = unquote(request.path.split("/")[4])
            return Reply.json(json.dumps({"username": username, "isActive": True}))
        if (
            path in ("/api/v0/searches", "/api/v0/transfers/downloads", "/api/v0/rooms/joined")
            and request.method == "GET"
        ):
            return Reply.json("[]")
        return Reply(404)

    def _authenticated(self, request: Received) -> bool:
        if self.api_key is None:
            return True
        headers = {name.lower(): value for name, value in request.headers.items()}
        return (
            headers.get("x-api-key") == self.api_key
            or headers.get("authorization") == f"Bearer {ISSUED_TOKEN}"
        )

    def _login(self, request: Received) -> Reply:
        try:
            credentials = json.loads(request.body)
        except ValueError:
            return Reply(400)
        if self.users.get(credentials.get("username")) != credentials.get("password"):
            return Reply(401)
        return Reply.json(
            json.dumps({"token": ISSUED_TOKEN, "tokenType": "Bearer", "name": credentials["username"]})
        )

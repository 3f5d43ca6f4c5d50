"""The few non-conversation routes a checker reads before it starts: version, server state, session.

Only what a client needs to decide its expectations: which version answers, whether
authentication is on, whether the instance is logged in to Soulseek (sends fail without
it), and a login that issues slskd's TokenResponse.
"""

from __future__ import annotations

import json

from conformance.reference.auth import Authenticator
from conformance.reference.network import SoulseekNetwork
from conformance.reference.options import ReferenceOptions
from conformance.reference.wire import HttpError, Reply, Request


class SystemApi:
    def __init__(self, options: ReferenceOptions, network: SoulseekNetwork, auth: Authenticator) -> None:
        self.version_text = options.version
        self.network = network
        self.auth = auth

    def version(self, request: Request) -> Reply:
        return Reply.json(self.version_text)

    def application(self, request: Request) -> Reply:
        return Reply.json({"version": {"full": self.version_text, "current": self.version_text}})

    def server(self, request: Request) -> Reply:
        logged_in = self.network.logged_in
        return Reply.json(
            {
                "state": self.network.state,
                "username": self.network.username,
                "isConnected": logged_in,
                "isLoggedIn": logged_in,
                "isTransitioning": False,
            }
        )

    def session(self, request: Request) -> Reply:
        return Reply(200)  # reaching it means the credentials were accepted

    def session_enabled(self, request: Request) -> Reply:
        return Reply.json(self.auth.enabled)

    def login(self, request: Request) -> Reply:
        try:
            body = json.loads(request.body.decode("utf-8-sig"))
        except (ValueError, RecursionError):  # too deep for System.Text.Json (64) as well
            body = None
        if not isinstance(body, dict):
            raise HttpError(400)
        fields = {str(key).lower(): value for key, value in body.items()}  # names match case-insensitively
        username, password = fields.get("username"), fields.get("password")
        if not (
            isinstance(username, str) and username.strip() and isinstance(password, str) and password.strip()
        ):
            return Reply.json("A username and a password are required", 400)
        token = self.auth.login(username, password)
        if token is None:
            raise HttpError(401)
        return Reply.json(token)

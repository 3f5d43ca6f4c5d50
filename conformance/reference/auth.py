"""Authentication as slskd's policy `Any` does it: an API key or a JWT from POST /session.

`X-API-Key` must equal a configured key exactly; `Authorization: Bearer <jwt>` must carry a
token this server signed (HS256 with a key drawn at start, issuer `slskd`, lifetime
checked with 5 minutes of clock skew). Either credential is enough. The API key is not
accepted as a Bearer token on /api. JWTs are made with the standard library only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from typing import Any

from conformance.reference.options import ReferenceOptions

ISSUER = "slskd"
TOKEN_LIFETIME_S = 7 * 24 * 3600  # slskd's default jwt.ttl: 604800000 ms
CLOCK_SKEW_S = 300
HEADER = {"alg": "HS256", "typ": "JWT"}


class Authenticator:
    def __init__(self, options: ReferenceOptions) -> None:
        self.enabled = options.auth_enabled
        self._keys = tuple(k.encode() for k in (options.api_key, options.readonly_api_key) if k)
        self._any_key = "wrong-key-accepted" in options.faults
        self._login = (
            (options.web_username, options.web_password) if options.web_username is not None else None
        )
        self._secret = secrets.token_bytes(32)

    def challenge(self, api_key: str | None, authorization: str | None) -> str | None:
        """None when the caller is authenticated; else the `WWW-Authenticate` value of the 401."""
        if not self.enabled:
            return None
        if api_key and (self._any_key or any(hmac.compare_digest(api_key.encode(), k) for k in self._keys)):
            return None
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return "Bearer"
        if self._valid_token(token.strip()):
            return None
        return 'Bearer error="invalid_token"'

    def login(self, username: str, password: str) -> dict[str, Any] | None:
        """slskd's TokenResponse for the web login, or None when the credentials are wrong."""
        if self._login is None:
            return None
        if not (_same(username, self._login[0]) and _same(password, self._login[1])):
            return None
        now = int(time.time())
        claims = {"name": username, "role": "Administrator", "nbf": now, "exp": now + TOKEN_LIFETIME_S}
        claims |= {"iat": now, "iss": ISSUER}
        return {
            "expires": claims["exp"],
            "issued": now,
            "name": username,
            "notBefore": now,
            "token": self._sign(claims),
            "tokenType": "Bearer",
        }

    def _sign(self, claims: dict[str, Any]) -> str:
        signing_input = f"{_b64(json.dumps(HEADER).encode())}.{_b64(json.dumps(claims).encode())}"
        signature = hmac.new(self._secret, signing_input.encode(), hashlib.sha256).digest()
        return f"{signing_input}.{_b64(signature)}"

    def _valid_token(self, token: str) -> bool:
        parts = token.split(".")
        if len(parts) != 3:
            return False
        expected = hmac.new(self._secret, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
        try:
            if not hmac.compare_digest(_unb64(parts[2]), expected):
                return False
            claims = json.loads(_unb64(parts[1]))
        except ValueError:
            return False
        now = time.time()
        return (
            isinstance(claims, dict)
            and claims.get("iss") == ISSUER
            and isinstance(claims.get("exp"), int)
            and isinstance(claims.get("nbf"), int)
            and claims["nbf"] - CLOCK_SKEW_S <= now <= claims["exp"] + CLOCK_SKEW_S
        )


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

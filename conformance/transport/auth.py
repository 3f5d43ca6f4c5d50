"""Credentials → the headers every request of a live run carries.

slskd accepts an API key (`X-API-Key`) or a JWT (`Authorization: Bearer`), which it
issues on `POST /api/v0/session` for a username and password. Logging in is the first
request of a password run, so its failures are told precisely, as a `TargetError`.
"""

from __future__ import annotations

from dataclasses import dataclass

import requests

from conformance.errors import TargetError
from conformance.transport.diagnosis import json_body, redirect_error, target_error
from conformance.transport.policy import API_PREFIX
from conformance.transport.session import GuardedSession

LOGIN_REFUSALS = {
    400: "the target rejected the login request (400): is --username or --password empty?",
    401: "the username or password was rejected (401)",
    403: "the target refuses logins (403), as slskd does in headless mode; use an API key instead",
    404: "POST /api/v0/session answered 404: is --target-url the slskd URL?",
}


@dataclass(frozen=True)
class Credentials:
    """One way to authenticate, already chosen (the run's configuration decides which)."""

    api_key: str | None = None
    token: str | None = None
    username: str | None = None
    password: str | None = None


def resolve_auth(session: GuardedSession, root: str, credentials: Credentials) -> dict[str, str]:
    """The credential headers for `credentials`, logging in first for username/password.

    Returns {} when the run has no credentials (a target with authentication disabled).
    A login token is a secret: add it to the run's redaction secrets.
    """
    if credentials.api_key:
        return {"X-API-Key": credentials.api_key}
    if credentials.token:
        return {"Authorization": f"Bearer {credentials.token}"}
    if credentials.username and credentials.password:
        return {"Authorization": f"Bearer {login(session, root, credentials.username, credentials.password)}"}
    return {}


def login(session: GuardedSession, root: str, username: str, password: str) -> str:
    url = f"{root}{API_PREFIX}/session"
    try:
        response = session.post(url, json={"username": username, "password": password})
    except requests.RequestException as error:
        raise target_error(error, url, session.timeout) from None
    if response.is_redirect:
        raise redirect_error(response, url)
    if response.status_code != 200:
        refusal = LOGIN_REFUSALS.get(
            response.status_code, f"POST /api/v0/session answered {response.status_code}"
        )
        raise TargetError(f"login failed: {refusal}")
    body = json_body(response)
    token = body.get("token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        raise TargetError("login failed: the answer to POST /api/v0/session holds no token")
    return token

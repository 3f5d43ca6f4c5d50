"""What the run learns about its target before the first test, and why it may refuse to start.

A wrong URL, an untrusted certificate or a rejected key would otherwise surface as
hundreds of identical failures. Preflight sends three GETs through the run's session and
each checked API's read that shows it is served (`ApiRead`), then that API's reads without
credentials (what the target does without them, for `auth_state.decide`; always the same
routes, so the same seed replays the same requests), and either ends the run with one line
(`TargetError`, exit 3) or hands back what the suite needs to choose its expectations: the
version, whether authentication is on, and whether the instance is logged in to the Soulseek
network (sends fail without it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import requests

from conformance.errors import TargetError
from conformance.transport.auth_state import UNDECIDED, Authentication, Unauthenticated, decide
from conformance.transport.diagnosis import json_body, redirect_error, target_error
from conformance.transport.network_proof import echo_peers, prove_logged_in
from conformance.transport.policy import API_PREFIX
from conformance.transport.session import GuardedSession

SESSION_ENABLED = "/session/enabled"
VERSION = "/application/version"
SERVER = "/server"
ANONYMOUS = {"X-API-Key": None, "Authorization": None}  # None removes a session header for one request


@dataclass(frozen=True)
class ApiRead:
    """A read that shows the target serves an API (`route`, under /api/v0: 404 when it does
    not, 403 on a relay agent), and the reads that show what the API does without credentials
    (fixed routes, never drawn, so that runs replay exactly)."""

    api: str  # the API's name, as its docs page titles it
    route: str
    unauthenticated: tuple[str, ...] = ()


@dataclass
class TargetInfo:
    version: str | None = None
    version_source: str | None = None  # "GET /api/v0/application/version" | "--server-version" | None
    authentication: Authentication = UNDECIDED
    logged_in: bool | None = None  # to the Soulseek network
    network_echo_peers: tuple[str, ...] = ()  # of the simulated network the target is proven on
    notes: list[str] = field(default_factory=list)

    @property
    def auth_enabled(self) -> bool:
        """Whether the auth checks run (authentication is on)."""
        return self.authentication.checked


def preflight(
    session: GuardedSession,
    root: str,
    *,
    server_version: str | None = None,
    login_username: str | None = None,
    network_control: str | None = None,
    api_reads: tuple[ApiRead, ...] = (),
) -> TargetInfo:
    """Probe the slskd at `root` (its URL without /api/v0); raises TargetError if it cannot be tested.

    `server_version` (--server-version) replaces asking the target; `login_username` is the
    user the session logged in as, named if its token is rejected; `network_control` is the
    control API of the network the target must be proven logged in to (--network-control);
    `api_reads`: what shows the checked APIs are served (the installed APIs declare them).
    """
    probe = _Preflight(session, root)
    enabled = probe.get(SESSION_ENABLED, anonymous=True)
    version = None if server_version else probe.get(VERSION)
    server = probe.get(SERVER)
    served = [(read, probe.get(read.route)) for read in api_reads]
    probe.require_slskd()
    if probe.credentials_rejected():
        raise TargetError(f"authentication failed: {_rejection(session, login_username)}")
    for read, answer in served:
        _require_api(root, read, answer)
    # What the target does without credentials, whatever it says and whatever the run has.
    routes = [route for read in api_reads for route in read.unauthenticated]
    unauthenticated = [(route, probe.get(route, anonymous=True)) for route in routes]

    info = TargetInfo(authentication=_decide_auth(session, enabled, unauthenticated))
    info.notes += info.authentication.contradictions()
    if server_version:
        info.version, info.version_source = server_version, "--server-version"
    elif version is not None and version.ok and isinstance(json_body(version), str):
        info.version, info.version_source = str(json_body(version)), f"GET {API_PREFIX}{VERSION}"
    else:
        info.notes.append(
            "the server version is unknown: every requirement is checked; give --server-version"
        )
    info.logged_in = _logged_in(server)
    if network_control:  # before any write: the run ends here unless the proof holds
        body = json_body(server) if server.ok else None
        username = body.get("username") if isinstance(body, dict) and info.logged_in else None
        info.notes.append(prove_logged_in(network_control, username, timeout=session.timeout))
        info.network_echo_peers = echo_peers(network_control, timeout=session.timeout)
    if info.logged_in is False:
        info.notes.append(
            "sends will answer 500 by design: the instance is not logged in to the Soulseek network"
        )
    return info


class _Preflight:
    """Sends the preflight GETs and remembers their answers for the verdicts that need all of them."""

    def __init__(self, session: GuardedSession, root: str) -> None:
        self._session = session
        self._root = root
        self._answers: dict[str, requests.Response] = {}
        self._credentialed: list[requests.Response] = []

    def get(self, route: str, *, anonymous: bool = False) -> requests.Response:
        url = f"{self._root}{API_PREFIX}{route}"
        try:
            response = self._session.get(url, headers=ANONYMOUS if anonymous else None)
        except requests.RequestException as error:
            raise target_error(error, url, self._session.timeout) from None
        if response.is_redirect:
            raise redirect_error(response, url)
        if response.status_code not in (401, 403, 404) and not _is_json(response):
            media_type = response.headers.get("Content-Type", "").split(";")[0].strip() or "no content type"
            raise TargetError(
                f"{url} answered {response.status_code} with {media_type}, not JSON: is this the slskd URL?"
            )
        self._answers[route] = response
        if not anonymous:
            self._credentialed.append(response)
        return response

    def require_slskd(self) -> None:
        if all(response.status_code == 404 for response in self._answers.values()):
            routes = ", ".join(f"{API_PREFIX}{route}" for route in self._answers)
            raise TargetError(f"{self._root} is an HTTP server but not slskd (404 on {routes})")

    def credentials_rejected(self) -> bool:
        return any(response.status_code == 401 for response in self._credentialed)


def _require_api(root: str, read: ApiRead, answer: requests.Response) -> None:
    """Refuse a target that does not serve an API the run checks, in one line."""
    if answer.status_code == 403:
        raise TargetError(
            f"GET {API_PREFIX}{read.route} answered 403: slskd does so when it runs as a relay agent; "
            "point --target-url at the relay controller"
        )
    if answer.status_code == 404:
        raise TargetError(f"{root} has no {read.api} API (404 on {API_PREFIX}{read.route})")


def _rejection(session: GuardedSession, username: str | None) -> str:
    """Why the target said 401, in the words of the credentials the run sent."""
    if "X-API-Key" in session.headers:
        return "the API key was rejected (401)"
    if "Authorization" in session.headers and username:
        return f"the token from logging in as {username!r} was rejected (401)"
    if "Authorization" in session.headers:
        return "the token was rejected (401); it may have expired"
    return (
        "the target requires credentials (401); give --api-key (or SLSKD_API_KEY), "
        "--token, or --username and --password"
    )


def _is_json(response: requests.Response) -> bool:
    """JSON where slskd answers JSON: its error answers may have an empty body, never HTML.

    A JSON body under a wrong media type still counts: that is a defect the suite reports
    (API-CONTENT-TYPE), not a reason to refuse the target."""
    media_type = response.headers.get("Content-Type", "").lower()
    if "html" in media_type:
        return False
    if not response.ok:
        return True
    try:
        response.json()  # JSON null is JSON too: a wrong answer the suite judges, not another server
    except ValueError:
        return False
    return True


def _decide_auth(
    session: GuardedSession, enabled: requests.Response, unauthenticated: list[tuple[str, requests.Response]]
) -> Authentication:
    said, saying = _said(enabled)
    answers = [
        Unauthenticated(f"GET {API_PREFIX}{route}", response.status_code)
        for route, response in unauthenticated
    ]
    return decide(said, saying, any(session.headers.get(name) for name in ANONYMOUS), answers)


def _said(answer: requests.Response) -> tuple[bool | None, str]:
    """What `GET /session/enabled` (sent without credentials) says, and those words."""
    route = f"GET {API_PREFIX}{SESSION_ENABLED}"
    if answer.status_code == 401:  # refused without credentials: authentication is on
        return True, f"{route} without credentials answered 401"
    body = json_body(answer)
    if answer.ok and isinstance(body, bool):
        return body, f"{route} says {'enabled' if body else 'disabled'}"
    return None, f"{route} answered {answer.status_code}"


def _logged_in(answer: requests.Response) -> bool | None:
    body: Any = json_body(answer) if answer.ok else None
    if not isinstance(body, dict):
        return None
    if isinstance(body.get("isLoggedIn"), bool):
        return body["isLoggedIn"]
    state = body.get("state")
    return "LoggedIn" in state if isinstance(state, str) else None

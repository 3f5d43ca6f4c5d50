"""Preflight: every way a target can be unusable ends the run with one line and exit code 3.

Each test points a real session at a real server on 127.0.0.1 (or at a closed port, an
unresolvable name, a silent server, an untrusted certificate …) and reads the one line a
user would see.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from conformance.apis import preflight_reads, write_shapes
from conformance.cli.config import RunConfig
from conformance.errors import ExitCode, TargetError
from conformance.transport.auth import resolve_auth
from conformance.transport.auth_state import Authentication, AuthState
from conformance.transport.policy import Profile, WritePolicy
from conformance.transport.preflight import SERVER, SESSION_ENABLED, VERSION, TargetInfo, preflight
from conformance.transport.session import GuardedSession
from tests.servers.certificates import Certificates, make_certificates
from tests.servers.fake_slskd import FakeSlskd
from tests.servers.local import Handler, LocalServer, Received, Reply, closed_port
from tests.servers.misbehaving import hanging, html_page, not_found, unauthorized

SLSKD = FakeSlskd()
KEY = SLSKD.api_key
READS = preflight_reads()  # what the installed APIs declare shows them served
ASKED_FIRST = (SESSION_ENABLED, VERSION, SERVER)  # before any API's reads
PROBED = ", ".join(f"/api/v0{route}" for route in (*ASKED_FIRST, *(r.route for r in READS)))
UNAUTHENTICATED = tuple(f"GET /api/v0{route}" for read in READS for route in read.unauthenticated)

WRITES = write_shapes()  # the installed APIs' writes: what safe-writes may send


def reach(root: str, **options: Any) -> TargetInfo:
    """What a run does before the first test: credentials, then preflight, read-only."""
    config = RunConfig(target_url=root, profile=Profile.READ_ONLY, **options)
    with GuardedSession(
        WritePolicy(config.profile, (), writes=WRITES), timeout=config.timeout, verify=config.verify
    ) as session:
        session.headers.update(resolve_auth(session, root, config.credentials))
        return preflight(
            session,
            root,
            server_version=config.server_version,
            login_username=config.username,
            api_reads=preflight_reads(),
        )


def failure(root: str, **options: Any) -> str:
    """The one line a user sees when `root` cannot be tested."""
    with pytest.raises(TargetError) as raised:
        reach(root, **options)
    message = str(raised.value)
    assert "\n" not in message
    assert raised.value.exit_code is ExitCode.TARGET_UNUSABLE
    return message


@pytest.fixture
def serve() -> Iterator[Any]:
    """serve(handler, tls=None) → a running LocalServer, stopped after the test."""
    running: list[LocalServer] = []

    def start(handler: Handler, tls: Any = None) -> LocalServer:
        running.append(LocalServer(handler, tls).__enter__())
        return running[-1]

    yield start
    for server in running:
        server.__exit__(None, None, None)


@pytest.fixture
def certificates(tmp_path: Path) -> Certificates:
    return make_certificates(tmp_path)


# --- a usable slskd -------------------------------------------------------------------------------


def test_a_healthy_slskd_tells_its_version_auth_and_login_state(serve: Any) -> None:
    server = serve(SLSKD.handler)
    info = reach(server.url, api_key=KEY)
    assert info == TargetInfo(
        version="0.26.0",
        version_source="GET /api/v0/application/version",
        authentication=Authentication(
            AuthState.ON,
            "GET /api/v0/session/enabled says enabled; the run was given credentials; "
            f"{', '.join(UNAUTHENTICATED)} without credentials answered 401",
        ),
        logged_in=True,
        notes=[],
    )
    assert [(r.method, r.path) for r in server.received] == [
        ("GET", "/api/v0/session/enabled"),
        ("GET", "/api/v0/application/version"),
        ("GET", "/api/v0/server"),
        *(("GET", f"/api/v0{read.route}") for read in READS),
        *(tuple(read.split(" ")) for read in UNAUTHENTICATED),
    ]
    assert "X-API-Key" not in server.received[0].headers  # asked anonymously
    assert server.received[1].headers["X-API-Key"] == KEY
    without = server.received[len(ASKED_FIRST) + len(READS) :]
    assert not any("X-API-Key" in r.headers for r in without)  # what it does without


def test_the_reads_without_credentials_go_to_a_fixed_username_so_a_seed_replays_them(serve: Any) -> None:
    first, again = serve(SLSKD.handler), serve(SLSKD.handler)
    reach(first.url, api_key=KEY)
    reach(again.url, api_key=KEY)
    assert [r.path for r in first.received] == [r.path for r in again.received]
    assert "/api/v0/conversations/slskd-conformance-preflight/messages" in [r.path for r in first.received]


def one_route_open(route: str, target: FakeSlskd = SLSKD) -> Handler:
    """`target`, except that `route` answers without credentials."""

    def answer(request: Received) -> Reply:
        if f"GET {request.path}" == route:
            return FakeSlskd(api_key=None).answer(request)
        return target.answer(request)

    return answer


@pytest.mark.parametrize("route", UNAUTHENTICATED)
def test_one_route_open_while_the_target_says_enabled_is_that_route_s_failure(serve: Any, route: str) -> None:
    info = reach(serve(one_route_open(route)).url, api_key=KEY)
    assert info.authentication.state is AuthState.ON  # every route keeps its auth checks
    assert info.authentication.served == (route,)
    assert info.notes == [
        f"{route} answered without credentials although authentication is on: a failure of that "
        "route (AUTH-MISSING-401), the other routes are checked as well"
    ]


def test_without_session_enabled_the_reads_refused_without_credentials_say_on(serve: Any) -> None:
    info = reach(serve(replace(SLSKD, has_session_enabled=False).handler).url, api_key=KEY)
    assert info.authentication == Authentication(
        AuthState.ON,
        f"the run was given credentials; {', '.join(UNAUTHENTICATED)} without credentials answered 401",
    )


def test_credentials_given_to_an_open_target_keep_every_auth_check(serve: Any) -> None:
    open_target = FakeSlskd(api_key=None, has_session_enabled=False)
    info = reach(serve(open_target.handler).url, api_key="a-key-the-target-ignores")
    assert info.authentication.state is AuthState.ON
    assert info.authentication.reason == "the run was given credentials"
    assert info.authentication.served == UNAUTHENTICATED


def test_a_target_that_says_disabled_but_refuses_without_credentials_has_authentication_on(
    serve: Any,
) -> None:
    info = reach(serve(replace(SLSKD, session_enabled=False).handler).url, api_key=KEY)
    assert info.authentication.state is AuthState.ON
    assert "GET /api/v0/session/enabled says disabled" not in info.authentication.reason


@pytest.mark.parametrize("has_session_enabled", [True, False], ids=["says-disabled", "does-not-say"])
def test_authentication_is_off_only_when_every_read_answers_and_nothing_says_on(
    serve: Any, has_session_enabled: bool
) -> None:
    server = serve(FakeSlskd(api_key=None, has_session_enabled=has_session_enabled).handler)
    info = reach(server.url)
    said = "says disabled" if has_session_enabled else "answered 404"
    assert info.authentication == Authentication(
        AuthState.OFF,
        f"GET /api/v0/session/enabled {said}, and {', '.join(UNAUTHENTICATED)} answered without credentials",
        UNAUTHENTICATED,
    )
    assert not info.auth_enabled
    assert len(server.received) == len(PROBED.split(", ")) + len(UNAUTHENTICATED)


def test_a_read_neither_refused_nor_answered_leaves_authentication_unknown(serve: Any) -> None:
    def failing_messages(request: Received) -> Reply:
        if request.path.endswith("/messages"):
            return Reply.json('"boom"', status=500)
        return FakeSlskd(api_key=None, has_session_enabled=False).answer(request)

    info = reach(serve(failing_messages).url)
    assert info.authentication.state is AuthState.UNKNOWN
    assert info.authentication.reason == (
        f"GET /api/v0/session/enabled answered 404; without credentials {UNAUTHENTICATED[2]} answered 500"
    )
    assert info.authentication.skip_reason().startswith("authentication is unknown: ")


def test_an_instance_not_logged_in_to_soulseek_is_noted(serve: Any) -> None:
    info = reach(serve(replace(SLSKD, logged_in=False).handler).url, api_key=KEY)
    assert info.logged_in is False
    assert info.notes == [
        "sends will answer 500 by design: the instance is not logged in to the Soulseek network"
    ]


def test_a_given_server_version_wins_and_is_not_asked_for(serve: Any) -> None:
    server = serve(SLSKD.handler)
    info = reach(server.url, api_key=KEY, server_version="0.24.1")
    assert (info.version, info.version_source) == ("0.24.1", "--server-version")
    assert "/api/v0/application/version" not in [r.path for r in server.received]


def test_a_password_login_gets_a_bearer_token_even_read_only(serve: Any) -> None:
    server = serve(SLSKD.handler)
    info = reach(server.url, username="alice", password=SLSKD.users["alice"])
    assert info.authentication.state is AuthState.ON
    login, *probes = server.received
    assert (login.method, login.path) == ("POST", "/api/v0/session")
    assert probes[1].headers["Authorization"].startswith("Bearer ")


def test_an_slskd_without_the_version_route_is_tested_with_a_note(serve: Any) -> None:
    def older(request: Received) -> Reply:
        return Reply(404) if request.path.endswith("/version") else SLSKD.answer(request)

    info = reach(serve(older).url, api_key=KEY)
    assert (info.version, info.version_source) == (None, None)
    assert info.notes == [
        "the server version is unknown: every requirement is checked; give --server-version"
    ]


def test_the_login_state_is_read_from_the_state_text_when_the_flag_is_missing(serve: Any) -> None:
    def state_only(request: Received) -> Reply:
        if request.path.endswith("/server"):
            return Reply.json('{"state": "Connected"}')
        return SLSKD.answer(request)

    assert reach(serve(state_only).url, api_key=KEY).logged_in is False


# --- unreachable ------------------------------------------------------------------------------------


def test_a_closed_port_is_connection_refused() -> None:
    port = closed_port()
    assert failure(f"http://127.0.0.1:{port}", api_key=KEY) == (
        f"connection refused by 127.0.0.1:{port}: is slskd running there? "
        "(slskd listens on 5030 for HTTP and 5031 for HTTPS by default)"
    )


def test_an_unknown_host_is_a_dns_failure() -> None:
    assert failure("http://no-such-slskd.invalid:5030", api_key=KEY) == (
        "cannot resolve the host 'no-such-slskd.invalid': check --target-url"
    )


def test_a_silent_server_times_out_quickly(serve: Any) -> None:
    server = serve(hanging(3))
    started = time.monotonic()
    message = failure(server.url, api_key=KEY, timeout=0.5)
    assert message == f"no answer from {server.url}/api/v0/session/enabled within 0.5s; raise --timeout"
    assert time.monotonic() - started < 2


# --- TLS ----------------------------------------------------------------------------------------------


def test_an_untrusted_certificate_suggests_ca_bundle_or_insecure(
    serve: Any, certificates: Certificates
) -> None:
    server = serve(SLSKD.handler, certificates.server_context)
    message = failure(server.url, api_key=KEY)
    assert message.startswith(f"TLS verification failed for {server.url} (")
    assert "self-signed certificate, which slskd's default HTTPS port 5031 uses" in message
    assert message.endswith("pass --ca-bundle PATH to trust it, or --insecure to skip verification")


def test_insecure_and_a_ca_bundle_both_reach_a_self_signed_slskd(
    serve: Any, certificates: Certificates
) -> None:
    server = serve(SLSKD.handler, certificates.server_context)
    assert reach(server.url, api_key=KEY, insecure=True).version == "0.26.0"
    assert reach(server.url, api_key=KEY, ca_bundle=certificates.ca_bundle).version == "0.26.0"


def test_https_to_a_plain_http_port_says_so(serve: Any) -> None:
    server = serve(SLSKD.handler)
    message = failure(server.url.replace("http://", "https://"), api_key=KEY)
    assert message.startswith(f"TLS handshake with {server.url.replace('http://', 'https://')} failed (")
    assert message.endswith(
        "is it an HTTPS port? slskd listens on 5030 for HTTP and 5031 for HTTPS by default"
    )


# --- not slskd, or not for us -------------------------------------------------------------------------


def test_an_html_site_is_not_slskd(serve: Any) -> None:
    server = serve(html_page)
    assert failure(server.url, api_key=KEY) == (
        f"{server.url}/api/v0/session/enabled answered 200 with text/html, not JSON: is this the slskd URL?"
    )


def test_404_everywhere_is_a_web_server_but_not_slskd(serve: Any) -> None:
    server = serve(not_found)
    assert (
        failure(server.url, api_key=KEY) == f"{server.url} is an HTTP server but not slskd (404 on {PROBED})"
    )


@pytest.mark.parametrize(
    ("credentials", "said"),
    [
        ({"api_key": "wrong"}, "the API key was rejected (401)"),
        ({"token": "expired.jwt.token"}, "the token was rejected (401); it may have expired"),
        (
            {},
            "the target requires credentials (401); give --api-key (or SLSKD_API_KEY), "
            "--token, or --username and --password",
        ),
    ],
    ids=["api-key", "token", "none"],
)
def test_rejected_credentials_are_named(serve: Any, credentials: dict[str, str], said: str) -> None:
    for handler in (unauthorized, SLSKD.handler):
        assert failure(serve(handler).url, **credentials) == f"authentication failed: {said}"


def test_a_relay_agent_answers_403(serve: Any) -> None:
    def agent(request: Received) -> Reply:
        return Reply(403) if "/conversations" in request.path else SLSKD.answer(request)

    message = failure(serve(agent).url, api_key=KEY)
    assert message.startswith(
        "GET /api/v0/conversations answered 403: slskd does so when it runs as a relay agent"
    )


def test_an_slskd_without_the_conversations_api_is_refused(serve: Any) -> None:
    def no_conversations(request: Received) -> Reply:
        return Reply(404) if "/conversations" in request.path else SLSKD.answer(request)

    server = serve(no_conversations)
    message = failure(server.url, api_key=KEY)
    assert message == f"{server.url} has no Conversations API (404 on /api/v0/conversations)"


# --- login ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("handler", "said"),
    [
        (SLSKD.handler, "login failed: the username or password was rejected (401)"),
        (not_found, "login failed: POST /api/v0/session answered 404: is --target-url the slskd URL?"),
        (lambda request: Reply(403), "login failed: the target refuses logins (403)"),
        (lambda request: Reply.json('{"no": "token"}'), "login failed: the answer to POST /api/v0/session"),
    ],
    ids=["wrong-password", "not-slskd", "headless", "no-token"],
)
def test_a_failed_login_says_why(serve: Any, handler: Handler, said: str) -> None:
    assert failure(serve(handler).url, username="alice", password="wrong").startswith(said)


def test_a_login_to_a_closed_port_is_connection_refused() -> None:
    assert failure(f"http://127.0.0.1:{closed_port()}", username="a", password="b").startswith(
        "connection refused by 127.0.0.1:"
    )

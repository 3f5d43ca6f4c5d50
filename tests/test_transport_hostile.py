"""Hostile targets: what a run sends and reads when the target tries to misuse it (issue 16).

Each test reproduces one attack against a real server on loopback and asserts what reached
the servers: the "other host" is a second server on 127.0.0.2, a different origin, that
records everything it is sent.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests

from conformance.apis import preflight_reads, write_shapes
from conformance.errors import TargetError, WriteBlocked
from conformance.transport.auth import login
from conformance.transport.bounded import ResponseTooLarge, ResponseTooSlow
from conformance.transport.policy import Profile, WritePolicy
from conformance.transport.preflight import preflight
from conformance.transport.session import GuardedSession
from tests.servers.fake_slskd import FakeSlskd
from tests.servers.hostile import TricklingHeaders, endless_body, huge_body, redirect_to, trickling_body
from tests.servers.local import LocalServer, Received, Reply

API = "/api/v0"
KEY = "hostile-test-api-key-0123456789"

WRITES = write_shapes()  # the installed APIs' writes: what safe-writes may send


@pytest.fixture
def other_host() -> Iterator[LocalServer]:
    """Another origin: it must never receive anything from a run against the target."""
    with LocalServer(FakeSlskd(api_key=None).handler, host="127.0.0.2") as server:
        yield server


def guarded(root: str, profile: Profile = Profile.READ_ONLY, **kwargs: object) -> GuardedSession:
    session = GuardedSession(WritePolicy.for_target(profile, ("alice",), root, WRITES), **kwargs)  # type: ignore[arg-type]
    session.headers["X-API-Key"] = KEY
    return session


# --- redirects: followed only for reads, only within the target's origin ------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirected_write_is_reported_not_repeated_anywhere(other_host: LocalServer, status: int) -> None:
    with LocalServer(redirect_to(other_host.url, status=status)) as target:
        with guarded(target.url, Profile.SAFE_WRITES) as session:
            answer = session.post(f"{target.url}{API}/conversations/alice", json="hi")
        assert answer.status_code == status and answer.history == []
        [note] = session.unfollowed_redirects
        assert "not followed (a redirected write or login is never re-sent)" in note
    assert [request.method for request in target.received] == ["POST"]
    assert other_host.received == []


def test_a_write_redirected_within_the_origin_is_not_repeated_either() -> None:
    def moved(request: Received) -> Reply:
        if request.path.endswith("/alice"):
            return Reply(307, headers={"Location": f"{API}/conversations/alice/"})
        return Reply(201)

    with LocalServer(moved) as target, guarded(target.url, Profile.FULL) as session:
        assert session.post(f"{target.url}{API}/conversations/alice", json="hi").status_code == 307
    assert len(target.received) == 1


def test_a_read_redirected_to_another_origin_keeps_the_key_home(other_host: LocalServer) -> None:
    with LocalServer(redirect_to(other_host.url, status=302)) as target, guarded(target.url) as session:
        answer = session.get(f"{target.url}{API}/conversations")
    assert answer.status_code == 302
    assert "another origin; the run's credentials stay with the target" in session.unfollowed_redirects[0]
    assert other_host.received == []


def test_a_read_redirected_within_the_origin_is_followed_and_each_hop_guarded() -> None:
    def moved(request: Received) -> Reply:
        if request.path.endswith("/old"):
            return Reply(302, headers={"Location": f"{API}/conversations"})
        return Reply.json("[]")

    with LocalServer(moved) as target, guarded(target.url) as session:
        answer = session.get(f"{target.url}{API}/old")
    assert answer.status_code == 200 and [hop.status_code for hop in answer.history] == [302]
    assert [request.path for request in target.received] == [f"{API}/old", f"{API}/conversations"]
    assert all(request.headers["X-API-Key"] == KEY for request in target.received)


def test_a_login_redirected_elsewhere_sends_the_password_nowhere_else(other_host: LocalServer) -> None:
    with (
        LocalServer(redirect_to(other_host.url, only="POST")) as target,
        guarded(target.url) as session,
        pytest.raises(TargetError, match="redirect"),
    ):
        login(session, target.url, "alice", "alice-password-42")
    assert other_host.received == []


def test_preflight_refuses_a_target_that_redirects_elsewhere(other_host: LocalServer) -> None:
    with (
        LocalServer(redirect_to(other_host.url, status=302)) as target,
        guarded(target.url) as session,
        pytest.raises(TargetError, match=r"redirects to http://127\.0\.0\.2") as refused,
    ):
        preflight(session, target.url, api_reads=preflight_reads())
    assert "\n" not in str(refused.value)
    assert other_host.received == []


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_no_request_of_any_method_goes_to_another_origin(other_host: LocalServer, method: str) -> None:
    with (
        LocalServer(FakeSlskd().handler) as target,
        guarded(target.url, Profile.FULL) as session,
        pytest.raises(WriteBlocked, match="only to the target's origin"),
    ):
        session.request(method, f"{other_host.url}{API}/conversations/alice")
    assert other_host.received == []


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1:5030/api/v0/x",  # another scheme
        "http://127.0.0.1:5031/api/v0/x",  # another port
        "http://localhost:5030/api/v0/x",  # another host name for the same machine
        "http://127.0.0.1:5030@evil.example/api/v0/x",  # userinfo trick
    ],
)
def test_the_origin_is_scheme_host_and_port(url: str) -> None:
    policy = WritePolicy.for_target(Profile.FULL, (), "http://127.0.0.1:5030", ())
    policy.check("GET", "HTTP://127.0.0.1:5030/api/v0/x")
    with pytest.raises(WriteBlocked):
        policy.check("GET", url)


def test_the_default_port_is_the_same_origin() -> None:
    WritePolicy.for_target(Profile.FULL, (), "https://slskd.example", ()).check(
        "GET", "https://slskd.example:443/api/v0/x"
    )


# --- the {id} segment ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "message_id", ["..%2Fbob", "%2E%2E%2Fbob", "..%252Fbob", "12%2F..", "..%5Cbob", "1%2541"]
)
def test_an_id_that_names_another_route_after_decoding_is_blocked(message_id: str) -> None:
    policy = WritePolicy(Profile.SAFE_WRITES, ("alice",), writes=WRITES)
    for method in ("POST", "PUT", "DELETE"):
        with pytest.raises(WriteBlocked, match="ambiguous after percent-decoding"):
            policy.check(method, f"http://h{API}/conversations/alice/{message_id}")


def test_a_plain_id_passes() -> None:
    WritePolicy(Profile.SAFE_WRITES, ("alice",), writes=WRITES).check(
        "PUT", f"http://h{API}/conversations/alice/12"
    )


# --- bounded answers: a size limit and a total deadline ----------------------------------------


def test_a_huge_body_is_refused_without_being_read() -> None:
    with (
        LocalServer(huge_body(50_000_000)) as target,
        guarded(target.url, max_response_bytes=1_000_000) as session,
    ):
        started = time.monotonic()
        with pytest.raises(ResponseTooLarge, match="declares 50,000,000 bytes, over the limit of 1,000,000"):
            session.get(f"{target.url}{API}/conversations")
    assert time.monotonic() - started < 2


def test_an_endless_body_stops_at_the_limit() -> None:
    with LocalServer(endless_body) as target, guarded(target.url, max_response_bytes=2_000_000) as session:
        started = time.monotonic()
        with pytest.raises(ResponseTooLarge, match="larger than the limit of 2,000,000 bytes"):
            session.get(f"{target.url}{API}/conversations")
    assert time.monotonic() - started < 3


def test_a_trickling_body_ends_at_the_total_deadline_not_per_read() -> None:
    with LocalServer(trickling_body(0.2)) as target, guarded(target.url, timeout=1.0) as session:
        started = time.monotonic()
        with pytest.raises(ResponseTooSlow, match="did not arrive whole within the timeout"):
            session.get(f"{target.url}{API}/conversations")
        elapsed = time.monotonic() - started
    assert 0.9 < elapsed < 1.6


def test_a_body_within_the_limits_is_read_whole() -> None:
    with (
        LocalServer(huge_body(100_000)) as target,
        guarded(target.url, max_response_bytes=100_000) as session,
    ):
        assert len(session.get(f"{target.url}{API}/conversations").content) == 100_000


@pytest.mark.parametrize(
    ("handler", "said"),
    [
        (huge_body(50_000_000), "over the limit of 1,000,000 (--max-response-bytes)"),
        (endless_body, "larger than the limit of 1,000,000 bytes (--max-response-bytes)"),
        (trickling_body(0.3), "within 1s; raise --timeout"),
    ],
)
def test_preflight_turns_an_unbounded_answer_into_one_line(handler: object, said: str) -> None:
    with (
        LocalServer(handler) as target,  # type: ignore[arg-type]
        guarded(target.url, timeout=1.0, max_response_bytes=1_000_000) as session,
    ):
        started = time.monotonic()
        with pytest.raises(TargetError) as refused:
            preflight(session, target.url, api_reads=preflight_reads())
    assert said in str(refused.value) and "\n" not in str(refused.value)
    assert time.monotonic() - started < 3


def test_a_request_exception_from_the_limits_is_a_requests_exception() -> None:
    """Callers that handle transport errors (preflight, cleanup, Schemathesis) handle these too."""
    assert issubclass(ResponseTooLarge, requests.RequestException)
    assert issubclass(ResponseTooSlow, requests.Timeout)


def test_trickling_headers_end_at_the_total_deadline_not_per_read() -> None:
    with TricklingHeaders(every=1.0, most=20) as target, guarded(target.url, timeout=2.0) as session:
        started = time.monotonic()
        with pytest.raises(requests.ReadTimeout):
            session.get(f"{target.url}{API}/conversations")
        elapsed = time.monotonic() - started
    assert 1.9 < elapsed < 3.0

"""The guarded session: the write guard, budget, pacing, timeout, TLS and capture hold for every caller.

Every test talks to a real server on 127.0.0.1 and, where it matters, asserts what the
server received, not what the client believes it sent.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import schemathesis

from conformance.apis import write_shapes
from conformance.errors import RunCutShort, WriteBlocked
from conformance.results.exchange import Exchange
from conformance.transport.pacing import Pacer, Rate
from conformance.transport.policy import Profile, WritePolicy, api_prefix_of
from conformance.transport.session import BudgetExhausted, CleanupTimeUp, GuardedSession
from tests.servers.certificates import make_certificates
from tests.servers.fake_slskd import FakeSlskd
from tests.servers.local import LocalServer, Received, Reply
from tests.servers.misbehaving import hanging

API = "/api/v0"
NO_AUTH = FakeSlskd(api_key=None)

WRITES = write_shapes()  # the installed APIs' writes: what safe-writes may send


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer(NO_AUTH.handler) as running:
        yield running


def session(
    profile: Profile = Profile.READ_ONLY, allowed: tuple[str, ...] = (), **kwargs: object
) -> GuardedSession:
    return GuardedSession(WritePolicy(profile, allowed, writes=WRITES), **kwargs)  # type: ignore[arg-type]


# --- the write policy, request by request ------------------------------------------------------

ALLOWED = ("alice", "Bob Smith", "a/b")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", f"{API}/conversations/anyone"),
        ("HEAD", f"{API}/conversations"),
        ("POST", f"{API}/session"),  # logging in
        ("POST", f"{API}/conversations/alice"),
        ("post", f"{API}/conversations/alice"),
        ("PUT", f"{API}/conversations/alice"),
        ("PUT", f"{API}/conversations/alice/12"),
        ("DELETE", f"{API}/conversations/alice"),
        ("POST", f"{API}/conversations/Bob%20Smith"),
        ("POST", f"{API}/conversations/a%2Fb"),
        ("POST", f"{API}/conversations/%61lice"),  # slskd decodes this to alice too
        ("POST", "/API/V0/Conversations/alice"),  # ASP.NET literals are case-insensitive
        ("POST", f"{API}/conversations/alice?username=mallory"),  # the route value wins
    ],
)
def test_safe_writes_allows_reads_login_and_writes_to_allowlisted_conversations(
    method: str, path: str
) -> None:
    WritePolicy(Profile.SAFE_WRITES, ALLOWED, writes=WRITES).check(method, f"http://127.0.0.1:5030{path}")


@pytest.mark.parametrize(
    ("method", "path", "reason"),
    [
        ("POST", f"{API}/conversations/mallory", "'mallory' is not on the --peer allowlist"),
        ("POST", f"{API}/conversations/Alice", "'Alice' is not on the --peer allowlist"),
        ("POST", f"{API}/conversations/alice%20", "'alice ' is not on the --peer allowlist"),
        ("POST", f"{API}/conversations/Bob+Smith", "'Bob+Smith' is not on the --peer allowlist"),
        ("POST", f"{API}/conversations/a/b", "'a' is not on the --peer allowlist"),  # {username}/{id}
        ("POST", f"{API}/conversations/alice/", "empty, dot or undecodable segments"),
        ("POST", f"{API}//conversations/alice", "empty, dot or undecodable segments"),
        ("POST", f"{API}/conversations/alice/../mallory", "empty, dot or undecodable segments"),
        ("POST", f"{API}/conversations/alice/%2e%2e", "empty, dot or undecodable segments"),
        ("POST", f"{API}/conversations/%ff", "empty, dot or undecodable segments"),
        ("POST", f"{API}/conversations/alice/messages/x", "only POST, PUT and DELETE on"),
        ("PATCH", f"{API}/conversations/alice", "only POST, PUT and DELETE on"),
        ("OPTIONS", f"{API}/conversations/alice", "only POST, PUT and DELETE on"),
        ("POST", f"{API}/conversations", "only POST, PUT and DELETE on"),
        ("DELETE", f"{API}/session", "only POST, PUT and DELETE on"),
        ("PUT", f"{API}/application", "only POST, PUT and DELETE on"),
        ("POST", "/conversations/alice", "outside the API"),
        ("POST", f"/slskd{API}/conversations/alice", "outside the API"),
    ],
)
def test_safe_writes_blocks_everything_else(method: str, path: str, reason: str) -> None:
    with pytest.raises(WriteBlocked) as blocked:
        WritePolicy(Profile.SAFE_WRITES, ALLOWED, writes=WRITES).check(method, f"http://127.0.0.1:5030{path}")
    assert str(blocked.value).startswith(f"the safe-writes profile blocked {method.upper()} ")
    assert reason in str(blocked.value)


def test_a_username_that_still_decodes_is_never_written_to_even_when_allowlisted() -> None:
    policy = WritePolicy(Profile.SAFE_WRITES, ["a%41"], writes=WRITES)
    with pytest.raises(WriteBlocked, match="ambiguous after percent-decoding"):
        policy.check("POST", f"http://h{API}/conversations/a%2541")


def test_read_only_lets_only_reads_and_the_login_out() -> None:
    policy = WritePolicy(Profile.READ_ONLY, ALLOWED)
    policy.check("GET", f"http://h{API}/conversations")
    policy.check("POST", f"http://h{API}/session")
    with pytest.raises(WriteBlocked) as blocked:
        policy.check("POST", f"http://h{API}/conversations/alice")
    assert str(blocked.value) == (
        f"the read-only profile blocked POST {API}/conversations/alice: it sends only GET and HEAD "
        "(use --profile safe-writes with --peer USER to allow writes to chosen users)"
    )


def test_full_lets_everything_out() -> None:
    WritePolicy(Profile.FULL, ()).check("DELETE", f"http://h{API}/conversations/anyone")


def test_the_api_prefix_follows_a_url_base() -> None:
    prefix = api_prefix_of("https://example.org/slskd")
    assert prefix == f"/slskd{API}"
    WritePolicy(Profile.SAFE_WRITES, ALLOWED, prefix, writes=WRITES).check(
        "POST", f"https://example.org{prefix}/conversations/alice"
    )
    with pytest.raises(WriteBlocked):
        WritePolicy(Profile.SAFE_WRITES, ALLOWED, prefix, writes=WRITES).check(
            "POST", f"https://example.org{API}/conversations/alice"
        )


# --- the session enforces it on the wire ---------------------------------------------------------


def test_a_blocked_write_never_reaches_the_server(server: LocalServer) -> None:
    with session(Profile.READ_ONLY) as guarded, pytest.raises(WriteBlocked):
        guarded.post(f"{server.url}{API}/conversations/alice", json="hi")
    assert server.received == []


USERNAME = {"name": "username", "in": "path", "required": True, "schema": {"type": "string"}}
SPEC = {
    "openapi": "3.0.3",
    "info": {"title": "conversations", "version": "1"},
    "paths": {
        "/conversations/{username}": {
            "get": {"parameters": [USERNAME], "responses": {"200": {"description": "found"}}},
            "post": {
                "parameters": [USERNAME],
                "requestBody": {"content": {"application/json": {"schema": {"type": "string"}}}},
                "responses": {"201": {"description": "sent"}},
            },
        }
    },
}


def test_a_schemathesis_case_goes_through_the_guard_and_the_capture(server: LocalServer) -> None:
    operations = schemathesis.openapi.from_dict(SPEC)["/conversations/{username}"]
    send = operations["POST"].Case(path_parameters={"username": "mallory"}, body="hello")
    read = operations["GET"].Case(path_parameters={"username": "mallory"})
    seen: list[Exchange] = []
    with session(Profile.READ_ONLY, on_exchange=seen.append) as guarded:
        with pytest.raises(WriteBlocked):
            send.call(base_url=f"{server.url}{API}", session=guarded)
        response = read.call(base_url=f"{server.url}{API}", session=guarded)  # streamed by Schemathesis
    assert [(r.method, r.path) for r in server.received] == [("GET", f"{API}/conversations/mallory")]
    assert response.status_code == 200
    assert [exchange.response_body for exchange in seen] == ['{"username": "mallory", "isActive": true}']


def test_the_budget_stops_the_run_with_a_clear_message(server: LocalServer) -> None:
    with session(max_requests=2) as guarded:
        guarded.get(f"{server.url}{API}/conversations")
        with pytest.raises(WriteBlocked):  # refused writes never spend the budget
            guarded.post(f"{server.url}{API}/conversations/alice")
        guarded.get(f"{server.url}{API}/conversations")
        with pytest.raises(BudgetExhausted) as exhausted:
            guarded.get(f"{server.url}{API}/conversations")
    assert str(exhausted.value) == "request budget of 2 exhausted; raise --max-requests"
    assert isinstance(exhausted.value, RunCutShort)  # the run is incomplete, not misconfigured
    assert len(server.received) == 2
    assert guarded.requests_sent == 2


def test_cleanup_has_requests_of_its_own_when_the_budget_is_spent(server: LocalServer) -> None:
    with session(Profile.FULL, max_requests=3, cleanup_reserve=1) as guarded:
        for _ in range(2):
            guarded.get(f"{server.url}{API}/conversations")
        with pytest.raises(BudgetExhausted, match=r"budget of 3 exhausted \(1 more kept for cleanup\)"):
            guarded.get(f"{server.url}{API}/conversations")
        with guarded.cleaning_up():
            guarded.delete(f"{server.url}{API}/conversations/alice")
            with pytest.raises(BudgetExhausted, match="the 1 requests kept for cleanup are spent"):
                guarded.delete(f"{server.url}{API}/conversations/bob")
    assert [request.method for request in server.received] == ["GET", "GET", "DELETE"]


def test_every_request_is_reported_as_an_exchange(server: LocalServer) -> None:
    seen: list[Exchange] = []
    with session(Profile.FULL, on_exchange=seen.append) as guarded:
        guarded.post(f"{server.url}{API}/conversations/alice", json="hello")
    [exchange] = seen
    assert (exchange.method, exchange.url) == ("POST", f"{server.url}{API}/conversations/alice")
    assert exchange.request_body == '"hello"'
    assert exchange.status == 200
    assert exchange.response_headers["Content-Type"].startswith("application/json")
    assert exchange.response_body == '{"username": "alice", "isActive": true}'
    assert exchange.error is None and exchange.elapsed_ms > 0


def test_a_transport_error_is_reported_then_raised() -> None:
    seen: list[Exchange] = []
    with (
        LocalServer(hanging(2)) as slow,
        session(on_exchange=seen.append, timeout=0.2) as guarded,
        pytest.raises(requests.Timeout),
    ):
        guarded.get(f"{slow.url}{API}/session/enabled")
    [exchange] = seen
    assert exchange.status is None
    assert exchange.error is not None and exchange.error.startswith("ReadTimeout")


def test_the_run_timeout_replaces_the_callers() -> None:
    with LocalServer(hanging(3)) as slow, session(timeout=0.3) as guarded:
        started = time.monotonic()
        with pytest.raises(requests.Timeout):
            guarded.get(f"{slow.url}/", timeout=30)  # Schemathesis always passes its own timeout
        assert time.monotonic() - started < 2


def test_each_redirect_hop_is_guarded_and_reported_in_order() -> None:
    def redirect_to_mallory(request: Received) -> Reply:
        if request.path.endswith("/alice"):
            return Reply(307, headers={"Location": f"{API}/conversations/mallory"})
        return Reply.json("{}")

    seen: list[Exchange] = []
    with LocalServer(redirect_to_mallory) as target, session(on_exchange=seen.append) as guarded:
        final = guarded.get(f"{target.url}{API}/conversations/alice")
    assert final.status_code == 200 and [hop.status_code for hop in final.history] == [307]
    assert [(e.url.rsplit("/", 1)[1], e.status) for e in seen] == [("alice", 307), ("mallory", 200)]


def test_connections_are_reused(server: LocalServer) -> None:
    with session() as guarded:
        for _ in range(20):
            guarded.get(f"{server.url}{API}/conversations")
    assert {request.connection for request in server.received} == {server.received[0].connection}


# --- pacing ----------------------------------------------------------------------------------


def test_the_pacer_spaces_requests_evenly_without_bursts() -> None:
    now = [100.0]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(round(seconds, 6))
        now[0] += seconds

    pacer = Pacer(Rate(5, 1.0), clock=lambda: now[0], sleep=sleep)
    for _ in range(4):
        pacer.wait()
    assert sleeps == [0.2, 0.2, 0.2]
    now[0] += 10  # idle time is not saved up for a burst later
    pacer.wait()
    pacer.wait()
    assert sleeps[3:] == [0.2]


def test_the_pacer_gives_no_slot_that_comes_after_the_callers_deadline() -> None:
    now = [100.0]
    pacer = Pacer(Rate(1, 1.0), clock=lambda: now[0], sleep=lambda seconds: None)
    assert pacer.wait(by=100.5)  # the slot is now
    assert not pacer.wait(by=100.5)  # the next is at 101, after the deadline: not taken
    assert pacer.wait(by=101.5)  # so it is still free for a caller whose deadline is later


def test_cleanup_waits_for_no_pacing_slot_after_its_end(server: LocalServer) -> None:
    with session(Profile.FULL, rate=Rate(1, 1.0)) as guarded, guarded.cleaning_up(within=0.3):
        guarded.delete(f"{server.url}{API}/conversations/alice")
        started = time.monotonic()
        with pytest.raises(CleanupTimeUp, match="cleanup ran out of time"):
            guarded.delete(f"{server.url}{API}/conversations/bob")
        assert time.monotonic() - started < 0.3  # not the 1 s to the next slot
    assert [request.method for request in server.received] == ["DELETE"]


def test_the_session_paces_what_it_sends(server: LocalServer) -> None:
    with session(rate=Rate(20, 1.0)) as guarded:
        started = time.monotonic()
        for _ in range(5):
            guarded.get(f"{server.url}{API}/conversations")
        assert time.monotonic() - started >= 4 / 20


# --- TLS -------------------------------------------------------------------------------------


def test_tls_verification_cannot_be_switched_off_by_a_caller(tmp_path: Path) -> None:
    certificates = make_certificates(tmp_path)
    with LocalServer(NO_AUTH.handler, tls=certificates.server_context) as secure:
        with session() as guarded, pytest.raises(requests.exceptions.SSLError):
            guarded.get(f"{secure.url}{API}/conversations", verify=False)
        with session(verify=str(certificates.ca_bundle)) as trusting:
            assert trusting.get(f"{secure.url}{API}/conversations", verify=False).status_code == 200
        with session(verify=False) as insecure:
            assert insecure.get(f"{secure.url}{API}/conversations", verify=True).status_code == 200

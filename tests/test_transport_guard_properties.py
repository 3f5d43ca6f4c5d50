"""Property: whatever URL a caller builds, the server never receives a write the profile forbids.

Requests are generated adversarially (percent-encoding, case variants, dot segments,
`%2F`, unicode, trailing slashes, query strings, other API routes, odd methods), sent
through `GuardedSession` both the usual way and as raw request targets that `requests`
does not re-quote, to a real server that records what arrives. The verdict is the
server's, read the way slskd reads a request (Kestrel decodes all but `%2F` and removes
dot segments before routing; the username binder decodes the raw segment once), in code
independent of the policy under test.
"""

from __future__ import annotations

import http.client
import re
from collections.abc import Iterator
from urllib.parse import quote, unquote

import pytest
import requests
from hypothesis import given, seed, settings
from hypothesis import strategies as st

from conformance.apis import write_shapes
from conformance.errors import WriteBlocked
from conformance.transport.policy import Profile, WritePolicy
from conformance.transport.session import GuardedSession
from tests.servers.fake_slskd import FakeSlskd
from tests.servers.local import LocalServer, Received

ALLOWED = ("alice", "Bob Smith", "ünïcødé", "a/b", "x.y")
OTHERS = ("mallory", "ALICE", "Alice", "alice ", " alice", "alice\x00", "alice;x", "alice+", "..", ".", "")
SEEDS = range(5)
EXAMPLES_PER_SEED = 300

WRITES = write_shapes()  # the installed APIs' writes: what safe-writes may send


# --- the server's reading of a request (slskd's, not the policy's) ------------------------------


def slskd_route(target: str) -> tuple[str, str | None]:
    """("login" | "conversation" | "other", username bound from the raw target)."""
    raw_path = target.split("?", 1)[0].split("#", 1)[0]
    routed = _remove_dot_segments(_kestrel_decode(raw_path)).lower()
    if routed == "/api/v0/session":
        return "login", None
    if re.fullmatch(r"/api/v0/conversations/[^/]+(/[^/]+)?", routed):
        raw_segments = raw_path.split("/")
        return "conversation", unquote(raw_segments[4]) if len(raw_segments) > 4 else None
    return "other", None


def _kestrel_decode(path: str) -> str:
    decoded = re.sub(rb"%(?!2[fF])([0-9A-Fa-f]{2})", lambda m: bytes([int(m[1], 16)]), path.encode("latin-1"))
    return decoded.decode("utf-8", errors="replace")


def _remove_dot_segments(path: str) -> str:
    output: list[str] = []
    for segment in path.split("/")[1:]:
        if segment == "..":
            output = output[:-1]
        elif segment != ".":
            output.append(segment)
    return "/" + "/".join(output)


def forbidden(request: Received, profile: Profile, allowed: frozenset[str]) -> bool:
    method = request.method.upper()
    if method in ("GET", "HEAD"):
        return False
    kind, username = slskd_route(request.target)
    if kind == "login" and method == "POST":
        return False
    if profile is Profile.READ_ONLY:
        return True
    return not (kind == "conversation" and method in ("POST", "PUT", "DELETE") and username in allowed)


# --- adversarial requests -----------------------------------------------------------------------
# Each request starts as a well-formed write to an allowlisted user and gets zero to four
# mutations, so most requests are near misses: the cases a guard gets wrong.


def _percent_all(text: str) -> str:
    return "".join(f"%{byte:02X}" for byte in text.encode())


ENCODINGS = (
    lambda u: quote(u, safe=""),
    lambda u: quote(u, safe="/"),
    lambda u: u,
    _percent_all,
    lambda u: _percent_all(u).lower(),
    lambda u: quote(quote(u, safe=""), safe=""),
    lambda u: quote(u, safe="").replace("%20", "+"),
)
USERNAME_VARIANTS = (
    str.upper,
    str.swapcase,
    lambda u: u + "/",
    lambda u: "../" + u,
    lambda u: u + " ",
    lambda u: u + "\u200b",
    lambda u: u.replace("ü", "u\u0308"),
)
PREFIXES = ("/api/v0", "/API/V0", "/api/%76%30", "/api/v1", "/api", "/slskd/api/v0", "")
LITERALS = ("conversations", "Conversations", "%63onversations", "session", "users", "application", "")
SEGMENTS = ("..", ".", "%2e%2e", "%2E.", "", "x", "messages", "0", "12", "%2F", "..%2F", ";x")
SUFFIXES = ("", "/", "?username=alice", "?x=1#fragment", "%3Fx", ";alice", "/..", "/.")
METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "QUERY", "post", "Delete")


@st.composite
def usernames(draw: st.DrawFn) -> str:
    base = draw(st.sampled_from(ALLOWED) | st.sampled_from(OTHERS) | st.text(max_size=8))
    if draw(st.booleans()):
        base = draw(st.sampled_from(USERNAME_VARIANTS))(base)
    return draw(st.sampled_from(ENCODINGS))(base)


@st.composite
def adversarial_requests(draw: st.DrawFn) -> tuple[str, str, bool]:
    """(method, request target, send raw?)"""
    method = draw(st.sampled_from(("POST", "PUT", "DELETE")))
    prefix = "/api/v0"
    segments = ["conversations", quote(draw(st.sampled_from(ALLOWED)), safe="")]
    suffix = ""
    for mutation in draw(st.lists(st.integers(0, 6), max_size=4)):
        if mutation == 0:
            method = draw(st.sampled_from(METHODS))
        elif mutation == 1:
            prefix = draw(st.sampled_from(PREFIXES))
        elif mutation == 2:
            segments[1:2] = [draw(usernames())]
        elif mutation == 3:
            segments[:1] = [draw(st.sampled_from(LITERALS))]
        elif mutation == 4:
            extra = draw(st.sampled_from(SEGMENTS) | usernames())
            segments.insert(draw(st.integers(0, len(segments))), extra)
        elif mutation == 5:
            suffix = draw(st.sampled_from(SUFFIXES))
        else:
            segments = segments[: draw(st.integers(0, len(segments)))]
    target = "/".join([prefix, *segments]) + suffix
    return method, target if target.startswith("/") else "/" + target, draw(st.booleans())


# --- the properties -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def recording_server() -> Iterator[LocalServer]:
    with LocalServer(FakeSlskd(api_key=None).handler) as server:
        yield server


def send(guarded: GuardedSession, base: str, method: str, path: str, raw: bool) -> None:
    """Send one request; a refusal by the guard or by the HTTP stack (invalid URL) is fine."""
    try:
        if raw:  # exactly this request target on the wire, no re-quoting by requests
            prepared = requests.Request(method, f"{base}/").prepare()
            prepared.url = f"{base}{path}"
            guarded.send(prepared)
        else:
            guarded.request(method, f"{base}{path}")
    except (WriteBlocked, requests.RequestException, http.client.HTTPException, ValueError):
        pass


@pytest.mark.parametrize("profile", [Profile.READ_ONLY, Profile.SAFE_WRITES])
@pytest.mark.parametrize("run_seed", SEEDS)
def test_the_server_never_receives_a_write_the_profile_forbids(
    recording_server: LocalServer, profile: Profile, run_seed: int
) -> None:
    allowed = frozenset(ALLOWED)
    guarded = GuardedSession(WritePolicy(profile, allowed, writes=WRITES), timeout=5)

    @seed(run_seed)
    @settings(max_examples=EXAMPLES_PER_SEED, database=None, deadline=None)
    @given(request=adversarial_requests())
    def check(request: tuple[str, str, bool]) -> None:
        already = len(recording_server.received)
        send(guarded, recording_server.url, *request)
        arrived = recording_server.received[already:]
        assert not [seen for seen in arrived if forbidden(seen, profile, allowed)]

    with guarded:
        check()


@pytest.mark.parametrize("username", ALLOWED)
def test_writes_to_allowlisted_usernames_do_arrive(recording_server: LocalServer, username: str) -> None:
    """The guard is not vacuous: a well-formed write to an allowlisted user goes out, read as that user."""
    allowed = frozenset(ALLOWED)
    with GuardedSession(WritePolicy(Profile.SAFE_WRITES, allowed, writes=WRITES)) as guarded:
        guarded.post(f"{recording_server.url}/api/v0/conversations/{quote(username, safe='')}", json="hi")
    arrived = recording_server.received[-1]
    assert slskd_route(arrived.target) == ("conversation", username)
    assert not forbidden(arrived, Profile.SAFE_WRITES, allowed)


def test_the_oracle_recognises_forbidden_writes() -> None:
    """The server-side verdict can fail: it flags what a broken guard would let through."""

    def arrived(method: str, target: str) -> Received:
        return Received(method, target, {}, b"", 1)

    allowed = frozenset(ALLOWED)
    assert forbidden(arrived("POST", "/api/v0/conversations/mallory"), Profile.SAFE_WRITES, allowed)
    assert forbidden(arrived("POST", "/api/v0/conversations/alice"), Profile.READ_ONLY, allowed)
    assert forbidden(arrived("DELETE", "/api/v0/x/../conversations/mallory"), Profile.SAFE_WRITES, allowed)
    assert forbidden(arrived("PUT", "/api/v0/application"), Profile.SAFE_WRITES, allowed)
    assert not forbidden(arrived("POST", "/api/v0/%73ession"), Profile.READ_ONLY, allowed)

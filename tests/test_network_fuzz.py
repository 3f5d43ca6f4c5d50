"""The network under a fuzzed stream of frames: whatever a client sends (random bytes, frames
with random codes and payloads, lengths and strings that lie), the server neither crashes nor
keeps a stuck session, and a fresh client can still log in and be answered."""

from __future__ import annotations

import contextlib
import itertools
import logging
import socket
import struct
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.network import messages
from conformance.network.codec import MAX_FRAME, Code
from conformance.network.server import NetworkServer
from conformance.network.state import PeerKind
from tests.network_client import RawClient, eventually, logged_in

CODES = st.one_of(st.sampled_from(list(Code)), st.integers(0, 2**32 - 1))
LYING_LENGTHS = st.one_of(st.integers(0, 3), st.integers(MAX_FRAME + 1, 2**32 - 1))
UINT32 = st.integers(0, 2**32 - 1)
KINDS = ["login", "message", "ack", "status", "random", "lying-length", "lying-string"]
NAMES = st.sampled_from(["fuzz", "echo", "quiet", "away", "", "fuzz-2"])


@st.composite
def frames(draw: st.DrawFn) -> bytes:
    """One frame: well formed, with a random payload, or with a length that lies."""
    kind = draw(st.sampled_from(KINDS))
    if kind == "login":
        other = draw(NAMES.filter(lambda name: name != "fuzz"))  # "fuzz"'s password stays "pw"
        return messages.login_request(other, draw(st.sampled_from(["pw", "other"])))
    if kind == "message":
        return messages.private_message_command(draw(NAMES), draw(st.text(max_size=20)))
    if kind == "ack":
        return messages.acknowledge(draw(UINT32))
    if kind == "status":  # a status the server echoes back, then the question that echoes it
        status = messages.set_online_status(draw(st.sampled_from([0, 2, 2**31, 2**32 - 1]) | UINT32))
        question = draw(st.sampled_from([Code.GET_STATUS, Code.WATCH_USER]))
        return status + messages.username_request(question, "fuzz")
    payload = draw(st.binary(max_size=40))
    if kind == "random":
        return _frame(draw(CODES), payload)
    if kind == "lying-length":
        return struct.pack("<I", draw(LYING_LENGTHS)) + payload
    string_length = struct.pack("<I", draw(st.integers(41, 2**32 - 1)))  # past any payload drawn here
    return _frame(draw(st.sampled_from(list(Code))), string_length + payload)


def _frame(code: int, payload: bytes) -> bytes:
    body = struct.pack("<I", code) + payload
    return struct.pack("<I", len(body)) + body


LOGIN = messages.login_request("fuzz", "pw")  # most streams log in first, to reach the handlers
STREAMS = st.one_of(
    st.binary(max_size=200),
    st.tuples(st.sampled_from([LOGIN, LOGIN, b""]), st.lists(frames(), max_size=8)).map(
        lambda parts: parts[0] + b"".join(parts[1])
    ),
)


class Errors(logging.Handler):
    """Every ERROR the server's loop logs: an exception escaping a connection is a crash."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="module")
def errors() -> Iterator[Errors]:
    handler = Errors()
    logging.getLogger("asyncio").addHandler(handler)
    try:
        yield handler
    finally:
        logging.getLogger("asyncio").removeHandler(handler)


@pytest.fixture(scope="module")
def network(errors: Errors) -> Iterator[NetworkServer]:
    with NetworkServer({"echo": PeerKind.ECHO, "quiet": PeerKind.SILENT, "away": PeerKind.OFFLINE}) as server:
        yield server


fresh_names = (f"fresh-{n}" for n in itertools.count())


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stream=STREAMS)
def test_no_stream_crashes_the_network_or_leaves_a_stuck_session(
    network: NetworkServer, errors: Errors, stream: bytes
) -> None:
    errors.records.clear()
    fuzzer = RawClient(network.port)
    with contextlib.suppress(ConnectionError):  # the server may close it before the end: allowed
        fuzzer.send(stream)
    fuzzer.sock.shutdown(socket.SHUT_WR)
    assert fuzzer.closed_by_server()  # end of our stream → the server ends the session
    fuzzer.close()
    eventually(
        lambda: all(s["port"] != fuzzer.port for s in network.call(network.network.sessions)), "session gone"
    )
    fresh = logged_in(network, next(fresh_names))
    fresh.send(messages.ping())
    assert fresh.expect(Code.PING).remaining == 0
    fresh.close()
    assert not [r.getMessage() for r in errors.records]

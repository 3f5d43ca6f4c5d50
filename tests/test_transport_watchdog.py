"""The watchdog that ends a request's reads at its deadline: on time, never late, never spurious.

Each test uses its own `Watchdog` and a connected socket pair: a read that nobody answers
blocks until the watchdog shuts the socket down.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from conformance.transport.watchdog import COMPACT_AT, Watchdog

Pair = tuple[socket.socket, socket.socket]


def _connected() -> Iterator[Pair]:
    ours, theirs = socket.socketpair()
    ours.settimeout(5.0)  # a read the watchdog failed to end fails the test, not the session
    yield ours, theirs
    ours.close()
    theirs.close()


@pytest.fixture
def pair() -> Iterator[Pair]:
    yield from _connected()


@pytest.fixture
def another() -> Iterator[Pair]:
    """A second connection, for a test that arms two deadlines."""
    yield from _connected()


def test_a_read_ends_when_its_deadline_passes(pair: Pair) -> None:
    ours, _ = pair
    dog = Watchdog()
    started = time.monotonic()
    watch = dog.arm(ours, started + 0.3)
    assert ours.recv(1) == b""  # the shutdown ends the blocked read as an end of stream
    assert 0.25 < time.monotonic() - started < 2.0
    assert dog.disarm(watch) is True


def test_a_disarmed_watch_leaves_its_socket_alone(pair: Pair) -> None:
    ours, theirs = pair
    dog = Watchdog()
    assert dog.disarm(dog.arm(ours, time.monotonic() + 0.1)) is False
    time.sleep(0.3)  # past the deadline: the socket may be reused by the next request
    theirs.sendall(b"still open")
    assert ours.recv(16) == b"still open"


@pytest.mark.parametrize(
    "first_in_s", [60, 1e12], ids=["a later deadline", "one beyond threading.TIMEOUT_MAX"]
)
def test_an_earlier_deadline_armed_later_is_kept(pair: Pair, another: Pair, first_in_s: float) -> None:
    """The thread sleeps until the earliest deadline it knows; a newer, earlier one wakes it,
    and one too far for any wait does not end the thread."""
    ours, _ = pair
    first, _ = another
    dog = Watchdog()
    dog.arm(first, time.monotonic() + first_in_s)
    time.sleep(0.1)  # the thread now waits for the first deadline
    started = time.monotonic()
    dog.arm(ours, started + 0.3)
    assert ours.recv(1) == b""
    assert time.monotonic() - started < 2.0


def test_many_requests_share_one_thread_and_leave_nothing_behind(pair: Pair) -> None:
    ours, theirs = pair
    dog = Watchdog()
    threads = threading.active_count()
    for _ in range(3000):
        dog.disarm(dog.arm(ours, time.monotonic() + 60))
    assert threading.active_count() <= threads + 1
    assert len(dog._heap) <= COMPACT_AT + 1  # disarmed entries are dropped, not kept for 60 s
    theirs.sendall(b"x")
    assert ours.recv(1) == b"x"

"""One long-lived thread that shuts a socket down when its request's deadline passes.

The headers of an answer are read by `http.client`, whose every read is bounded by the
socket's timeout but not the whole: a target sending one header byte a second never times
out. Shutting the socket down at the deadline ends any such read. A `threading.Timer` per
request did that, but starting a thread costs a hand-over of the GIL and back on every
request (about half a millisecond, as much as the whole request on loopback). Here one
daemon thread keeps a heap of deadlines: arming and disarming are a lock and a heap push,
and the thread wakes only when the earliest deadline it waits for passes (disarmed entries
are dropped then, or when too many pile up), not once per request.
"""

from __future__ import annotations

import heapq
import itertools
import math
import os
import socket
import threading
import time
from contextlib import suppress

COMPACT_AT = 1024  # disarmed entries kept in the heap before it is rebuilt without them


class Watch:
    """One armed deadline: `fired` tells afterwards whether the socket was shut down by it."""

    __slots__ = ("deadline", "fired", "sock")

    def __init__(self, deadline: float, sock: socket.socket) -> None:
        self.deadline = deadline
        self.sock: socket.socket | None = sock  # None once disarmed (or fired)
        self.fired = False


class Watchdog:
    """`arm(sock, deadline)` before a blocking read, `disarm(watch)` after it, from any thread."""

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        """Fresh state; also in a forked child, which has none of the parent's threads."""
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._heap: list[tuple[float, int, Watch]] = []
        self._order = itertools.count()  # ties on the deadline never compare two watches
        self._waiting_until = math.inf  # when the thread will look again by itself
        self._thread: threading.Thread | None = None

    def arm(self, sock: socket.socket, deadline: float) -> Watch:
        watch = Watch(deadline, sock)
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._watch, name="conformance-watchdog", daemon=True)
                self._thread.start()
            heapq.heappush(self._heap, (deadline, next(self._order), watch))
            if deadline < self._waiting_until:  # rare: deadlines of one run mostly come in order
                self._wake.notify()
        return watch

    def disarm(self, watch: Watch) -> bool:
        """Stop watching; whether the deadline had already shut the socket down. After this
        returns, the socket is never shut down by this watch (it may go back to the pool)."""
        with self._lock:
            watch.sock = None
            if len(self._heap) > COMPACT_AT:
                self._heap = [entry for entry in self._heap if entry[2].sock is not None]
                heapq.heapify(self._heap)
            return watch.fired

    def _watch(self) -> None:
        with self._lock:
            while True:
                now = time.monotonic()
                while self._heap and self._heap[0][0] <= now:
                    _fire(heapq.heappop(self._heap)[2])
                # Disarmed entries still at the top only cost one early wake-up; waking for
                # each disarm instead would cost one per request.
                self._waiting_until = self._heap[0][0] if self._heap else math.inf
                pause = min(self._waiting_until - now, threading.TIMEOUT_MAX)  # longer raises: no thread
                self._wake.wait(pause if self._heap else None)


def _fire(watch: Watch) -> None:
    if watch.sock is None:  # disarmed in time
        return
    watch.fired = True
    with suppress(OSError):  # already closed: nothing left to stop
        watch.sock.shutdown(socket.SHUT_RDWR)
    watch.sock = None


WATCHDOG = Watchdog()
os.register_at_fork(after_in_child=WATCHDOG._reset)

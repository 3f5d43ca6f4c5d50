"""A search as the reference server holds it, its states and defaults, and the one thread
that times searches out: the emulation's data, apart from its operations (`emulation`)."""

from __future__ import annotations

import heapq
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from conformance.peers.responses import PeerResponse

REQUESTED, QUEUED, IN_PROGRESS, COMPLETED = "Requested", "Queued", "InProgress", "Completed"
RESPONSE_LIMIT, FILE_LIMIT = "ResponseLimitReached", "FileLimitReached"
TIMED_OUT, CANCELLED, ERRORED = "TimedOut", "Cancelled", "Errored"
SLOTS = 2  # Soulseek.NET's concurrent searches; the others wait Queued
TOKENS = 2**31  # a search token is a uint31
INT32_MAX = 2**31 - 1
IDLE_S = 1.0  # the timeout thread ends after this long with no search to time out


@dataclass(frozen=True)
class Defaults:
    """What a POST leaves out: the docs' numbers (`documented`) or Soulseek.NET's (`slskd`)."""

    timeout: int  # in the behaviour's unit
    response_limit: int
    file_limit: int
    min_files: int = 1
    max_queue: int = 1_000_000
    min_speed: int = 0


DOCUMENTED_DEFAULTS = Defaults(timeout=15, response_limit=100, file_limit=10_000)
SLSKD_DEFAULTS = Defaults(timeout=15_000, response_limit=250, file_limit=25_000)


@dataclass
class Search:
    """One search as the server holds it."""

    id: str
    text: str
    token: int
    query: str
    timeout_s: float
    response_limit: int
    file_limit: int
    filter_responses: bool
    min_files: int
    max_queue: int
    min_speed: int
    started_at: int  # wall-clock microseconds (the oracle's clock)
    state: str = REQUESTED
    reason: str | None = None
    ended_at: int | None = None
    responses: list[PeerResponse] = field(default_factory=list)
    response_count: int = 0
    file_count: int = 0
    locked_file_count: int = 0
    deadline: float = 0.0  # time.monotonic() at which it times out, while InProgress
    reads: int = 0  # GET /searches/{id} answered (the search-state-regresses fault)
    lost: bool = False  # a response was lost already (the search-response-lost fault)

    @property
    def complete(self) -> bool:
        return self.state == COMPLETED

    @property
    def running(self) -> bool:
        return self.state in (REQUESTED, QUEUED, IN_PROGRESS)


class Deadlines:
    """One thread that calls `expire(id)` when a search's deadline may have passed; the
    callee re-checks the deadline (a response may have moved it) and re-arms if need be."""

    def __init__(self, expire: Callable[[str], None]) -> None:
        self._expire = expire
        self._heap: list[tuple[float, str]] = []
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def arm(self, at: float, search_id: str) -> None:
        with self._wake:
            heapq.heappush(self._heap, (at, search_id))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="search-timeouts", daemon=True)
                self._thread.start()
            self._wake.notify()

    def _run(self) -> None:
        """Until nothing has been armed for IDLE_S: then the thread ends (a stopped server's
        emulation leaves none behind), and the next `arm` starts another."""
        while True:
            with self._wake:
                while not self._heap or self._heap[0][0] > time.monotonic():
                    if not self._heap:
                        self._wake.wait(IDLE_S)
                        if not self._heap:
                            self._thread = None
                            return
                    else:
                        self._wake.wait(self._heap[0][0] - time.monotonic())
                _, search_id = heapq.heappop(self._heap)
            self._expire(search_id)


def now_micros() -> int:
    """Wall-clock microseconds: the searches' moments are compared with the oracle's."""
    return time.time_ns() // 1000

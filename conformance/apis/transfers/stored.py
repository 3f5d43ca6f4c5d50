"""A transfer as the reference server holds it, its states and categories: the emulation's
data, apart from its operations (`emulation`).

The state strings are slskd's (Soulseek.NET's `TransferStates` flags written as text, §3.2.3 of
shared/soulseek/peers-and-apis.md); the categories are §3.2.4's.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

QUEUED_LOCALLY = "Queued, Locally"
REQUESTED = "Requested"
QUEUED_REMOTELY = "Queued, Remotely"
INITIALIZING = "Initializing"
IN_PROGRESS = "InProgress"
COMPLETED = "Completed"
SUCCEEDED, CANCELLED, TIMED_OUT = "Succeeded", "Cancelled", "TimedOut"
ERRORED, REJECTED, ABORTED = "Errored", "Rejected", "Aborted"
RETRIED = frozenset({ERRORED, TIMED_OUT})  # outcomes slskd tries again, resuming from what arrived
ATTEMPTS = 3  # transfers.download.retry.attempts' default
RETRY_DELAY_S = 0.1  # slskd backs off for seconds; the simulated peers are quick
ENQUEUE_SLOTS = 2  # slskd's static limiter: a third enqueue request in flight is 429
ALREADY = "Skipped: Already in progress"
DOWNLOAD, UPLOAD = "Download", "Upload"
SEPARATOR = "\\"


def category(state: str) -> str:
    """Completed, Queued or InProgress (TransferStateCategories)."""
    if state.startswith(COMPLETED):
        return COMPLETED
    if state in (INITIALIZING, IN_PROGRESS):
        return IN_PROGRESS
    return "Queued"


@dataclass
class Transfer:
    """One download (or upload) as the server tracks it."""

    id: str
    username: str
    filename: str  # the remote path, `\\`-separated
    size: int
    direction: str = DOWNLOAD
    state: str = QUEUED_LOCALLY
    reason: str | None = None  # the part after "Completed, "
    requested_at: int = 0  # wall-clock microseconds
    enqueued_at: int | None = None  # the first `Queued, Remotely`
    started_at: int | None = None  # the first InProgress
    ended_at: int | None = None
    data: bytearray = field(default_factory=bytearray)  # the bytes that arrived, kept across attempts
    start_offset: int = 0
    place_in_queue: int | None = None
    exception: str | None = None
    attempts: int = 1
    next_attempt_at: int | None = None
    removed: bool = False
    token: int = 0
    remote_token: int | None = None
    started_mono: float | None = None  # time.monotonic() at InProgress: elapsedTime, averageSpeed

    @property
    def complete(self) -> bool:
        return self.state == COMPLETED

    @property
    def text(self) -> str:
        return self.state if self.reason is None else f"{self.state}, {self.reason}"

    @property
    def directory(self) -> str:
        """The remote folder the lists group by (the separator guessed as `\\`)."""
        return self.filename.rsplit(SEPARATOR, 1)[0] if SEPARATOR in self.filename else ""

    @property
    def transferred(self) -> int:
        return len(self.data)

    def elapsed_s(self) -> float | None:
        if self.started_mono is None:
            return None
        return max(time.monotonic() - self.started_mono, 1e-6)


def now_micros() -> int:
    return time.time_ns() // 1000

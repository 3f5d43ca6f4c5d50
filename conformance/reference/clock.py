"""Message timestamps: a strictly increasing microsecond clock and slskd's way of writing them.

slskd orders messages by timestamp and leaves ties in no particular order; real inbound
Soulseek timestamps are whole seconds, so two messages can tie. The reference server
stamps every stored message (both directions) from one clock that never repeats a value,
so ordering by timestamp is the order of arrival and a checker can predict it exactly.
Timestamps are held as integer microseconds since the Unix epoch (UTC).
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class MonotonicClock:
    """Wall-clock microseconds, nudged forward so that each reading exceeds the previous one."""

    def __init__(self, after: int = 0) -> None:
        self._last = after
        self._lock = threading.Lock()

    def now(self) -> int:
        with self._lock:
            self._last = max(time.time_ns() // 1000, self._last + 1)
            return self._last


def format_timestamp(micros: int, *, zone: bool = True) -> str:
    """ISO-8601 in UTC like System.Text.Json: trailing fractional zeros trimmed, `Z` suffix.

    Python holds microseconds, so at most 6 fractional digits (slskd can write 7).
    """
    moment = EPOCH + timedelta(microseconds=micros)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    fraction = f"{moment.microsecond:06d}".rstrip("0")
    if fraction:
        text = f"{text}.{fraction}"
    return f"{text}Z" if zone else text

"""Message timestamps: a strictly increasing microsecond clock and slskd's way of writing them.

slskd orders messages by timestamp and leaves ties in no particular order; real inbound
Soulseek timestamps are whole seconds, so two messages can tie. The reference server
stamps every stored message (both directions) from one clock that never repeats a value,
so ordering by timestamp is the order of arrival and a checker can predict it exactly.
Timestamps are held as integer microseconds since the Unix epoch (UTC).
"""

from __future__ import annotations

import itertools
import threading
import time
from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class MonotonicClock:
    """Wall-clock microseconds, nudged forward so that each reading exceeds the previous one.

    `coarse` (the `fraction-digits` variant): readings take turns rounding up to a grid of
    1 s, 100 ms, … 1 µs, so that timestamps show every number of fractional digits; the
    1 s turns can put the clock up to a second ahead of the wall clock each time."""

    def __init__(self, after: int = 0, *, coarse: bool = False) -> None:
        self._last = after
        self._lock = threading.Lock()
        self._turns = itertools.cycle(10**exponent for exponent in range(6, -1, -1)) if coarse else None

    def now(self) -> int:
        with self._lock:
            reading = max(time.time_ns() // 1000, self._last + 1)
            if self._turns is not None:
                grid = next(self._turns)
                reading = -(-reading // grid) * grid
            self._last = reading
            return self._last


def format_timestamp(
    micros: int, *, zone: str = "Z", fraction: str | None = None, shift: timedelta = timedelta(0)
) -> str:
    """ISO-8601 in UTC like System.Text.Json: trailing fractional zeros trimmed, `Z` suffix.

    Python holds microseconds, so at most 6 significant fractional digits (slskd can write
    7); `fraction` overrides the digits written, `zone` the suffix ("" for none), and `shift`
    the wall clock written (local time, with the `zone` that names its offset).
    """
    moment = EPOCH + timedelta(microseconds=micros) + shift
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    digits = f"{moment.microsecond:06d}".rstrip("0") if fraction is None else fraction
    if digits:
        text = f"{text}.{digits}"
    return text + zone

"""Request pacing: how fast a run may talk to its target.

A live slskd is someone's server, shared with its web UI and the Soulseek network; the
run spaces its requests evenly (`5/s` means one every 200 ms, never a burst of five) so
that its load is predictable and gentle. One tiny pacer is enough for that: it costs a
lock and a clock read per request, needs no background thread, and its behaviour is
exact enough to test with a fake clock. (pyrate-limiter, which Schemathesis brings, counts
requests in a sliding window, which allows a whole window's quota as one burst, and its
API changed between v3 and v4.)
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0}
SLOWEST = 3600.0  # seconds between two requests at most (1/h): slower is a typo, not a pace
_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*/\s*([smh])\s*$")


@dataclass(frozen=True)
class Rate:
    """At most `count` requests per `seconds`."""

    count: float
    seconds: float

    @property
    def interval(self) -> float:
        return self.seconds / self.count


def parse_rate(text: str) -> Rate | None:
    """`5/s`, `300/m` or `1000/h` → Rate; None when the text is not a rate, or one slower than 1/h."""
    match = _RATE.match(text)
    if not match or float(match[1]) <= 0:
        return None
    rate = Rate(float(match[1]), UNITS[match[2]])
    return rate if rate.interval <= SLOWEST else None


class Pacer:
    """Makes each caller wait for its own slot, `rate.interval` seconds after the previous one."""

    def __init__(
        self,
        rate: Rate,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._interval = rate.interval
        self._clock = clock
        self._sleep = sleep
        self._next_slot = float("-inf")
        self._lock = threading.Lock()

    def wait(self, by: float | None = None) -> bool:
        """Wait for the caller's slot; when that slot comes at or after `by` (a clock time), take
        none and return False at once: a caller with a deadline must not sleep past it."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next_slot)
            if by is not None and slot >= by:
                return False
            self._next_slot = slot + self._interval
        if slot > now:
            self._sleep(slot - now)
        return True

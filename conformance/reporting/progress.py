"""A live status line for long runs: which test, which phase, requests and defects so far.

A failing run can spend a minute inside one test (the state machine); with only pytest's
dots on screen it looks hung. On a terminal, a short status is drawn after the dots and
redrawn in place (at most every `INTERVAL` seconds): `[lifecycle · shrinking CONV-X, 12 s
left · 812 requests · 3 defects]`. It is erased with backspaces before pytest writes, so
the dots line stays as pytest drew it. It is written to the terminal's stderr, with pytest's
capture suspended for the write, so pytest neither keeps it nor counts it in its line.
Under `-q`, in CI logs (not a terminal) and under xdist it is never drawn: no
carriage-return spam in a log.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import TextIO

INTERVAL = 0.5  # seconds between redraws
LIMIT = 70  # characters at most: it must fit after the dots on one line


class ProgressLine:
    def __init__(
        self,
        stream: TextIO,
        status: Callable[[], str],
        *,
        flush: Callable[[], None] = lambda: None,
        uncaptured: Callable[[], AbstractContextManager[object]] = nullcontext,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._stream = stream
        self._status = status
        self._flush = flush  # pytest's own output first, so the status lands after the dots
        self._uncaptured = uncaptured  # pytest captures fd 2 during a test: step outside it
        self._clock = clock
        self._shown = 0  # characters now on screen
        self._last = -INTERVAL

    def tick(self) -> None:
        """Redraw if the last drawing is older than INTERVAL."""
        now = self._clock()
        if now - self._last < INTERVAL:
            return
        self._last = now
        text = f" [{self._status()}]"
        if len(text) > LIMIT:
            text = text[: LIMIT - 2] + "…]"
        self._write("\b" * self._shown + text + " " * max(0, self._shown - len(text)))
        self._shown = max(self._shown, len(text))

    def clear(self) -> None:
        """Erase what is drawn, leaving the cursor where pytest left it."""
        if self._shown:
            self._write("\b" * self._shown + " " * self._shown + "\b" * self._shown)
            self._shown = 0
            self._last = -INTERVAL

    def _write(self, text: str) -> None:
        with self._uncaptured():
            self._flush()
            self._stream.write(text)
            self._stream.flush()


def status_text(test: str, shrinking: str | None, left: float, requests: int, defects: int) -> str:
    """`lifecycle · finding · 812 requests · 3 defects`."""
    phase = f"shrinking {shrinking}, {left:.0f} s left" if shrinking else "finding"
    return f"{test} · {phase} · {requests} requests · {defects} defect{'s' if defects != 1 else ''}"

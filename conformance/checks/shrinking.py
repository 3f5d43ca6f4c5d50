"""The run's time budget for shrinking failures to minimal request sequences.

Finding a defect is quick; shrinking it can take minutes (every shrink step replays a
sequence of HTTP calls). A person waiting on a failing run wants the findings first and a
minimal reproduction only as far as time allows. So the run finds every defect unshrunk,
then shrinks them one after another until `--shrink-budget` seconds are spent; whatever is
left keeps the sequence it was found with, and the terminal says which.

Hypothesis stops shrinking when its module-level `MAX_SHRINKING_SECONDS` is spent (it is
documented as monkeypatchable for this purpose); `ShrinkBudget.limit` sets it to what is
left of the run's budget for the duration of one Hypothesis run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

DEFAULT_SHRINK_BUDGET = 20.0  # seconds: a failing default run stays under a minute on 2 cores


@dataclass
class ShrinkBudget:
    """Seconds the whole run may spend shrinking; `spent` grows with every shrink."""

    seconds: float = DEFAULT_SHRINK_BUDGET
    spent: float = 0.0
    shrunk: list[str] = field(default_factory=list)  # requirements shrunk to a minimal example
    active: str | None = None  # what is being shrunk now (the progress line shows it)
    announce: Callable[[str], None] = lambda text: None  # a line on the terminal, live
    unshrunk: list[str] = field(default_factory=list)  # left as found: the budget ran out

    @property
    def left(self) -> float:
        return max(0.0, self.seconds - self.spent)

    @contextmanager
    def limit(self, what: str, *, charged: Callable[[], bool] = lambda: True) -> Iterator[None]:
        """Within the block, Hypothesis shrinks `what` for at most what is left of the budget;
        the block's time is charged to the budget unless `charged()` says nothing was shrunk."""
        from hypothesis.internal.conjecture import engine  # not at import: the CLI loads this early

        saved, started = engine.MAX_SHRINKING_SECONDS, time.perf_counter()
        engine.MAX_SHRINKING_SECONDS = self.left  # type: ignore[assignment]
        self.active = what
        try:
            yield
        finally:
            engine.MAX_SHRINKING_SECONDS = saved
            self.active = None
            if charged():
                self.spent += time.perf_counter() - started

    def start(self, found: list[str]) -> None:
        """Say, as it happens, that the defects are known and shrinking begins."""
        self.announce(
            f"found {', '.join(found)}; shrinking them to minimal sequences within "
            f"{self.left:.0f} s (--shrink-budget)"
        )

    def summary(self) -> str | None:
        """One line for the terminal; None when nothing needed shrinking."""
        if not (self.spent or self.shrunk or self.unshrunk):
            return None
        if not self.seconds:
            return "shrinking: off (--no-shrink or --shrink-budget 0): failures are shown as found"
        line = f"shrinking: {self.spent:.1f} s of the {self.seconds:g} s budget (--shrink-budget)"
        if self.shrunk:
            line += f"; minimal sequences for {', '.join(self.shrunk)}"
        if self.unshrunk:
            line += f"; as found (budget spent) for {', '.join(self.unshrunk)}"
        return line

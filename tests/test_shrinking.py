"""A failing run finds every defect first, then shrinks them within a time budget."""

from __future__ import annotations

import time
from pathlib import Path

import hypothesis
import pytest
from hypothesis.internal.conjecture import engine

from conformance.apis.conversations.rules import conversations_machine
from conformance.checks.shrinking import ShrinkBudget
from conformance.checks.stateful import find_defects
from tests.cli import conformance_run
from tests.test_stateful_machine import SETTINGS, SHRINK_STEPS, embedded, failures

FAULTS = frozenset({"count-off-by-one", "list-unsorted"})
FOUND = ["CONV-COUNT-MATCHES", "CONV-LIST-ORDER"]
SHRINKING = hypothesis.settings(SETTINGS, max_examples=25)


@pytest.mark.slow
def test_with_no_budget_every_defect_is_found_and_left_as_found() -> None:
    with embedded(faults=FAULTS) as ctx:
        ctx.shrink_budget = ShrinkBudget(0.0)
        assert sorted(find_defects(ctx, conversations_machine, SHRINKING)) == FOUND
    assert sorted(ctx.shrink_budget.unshrunk) == FOUND and ctx.shrink_budget.shrunk == []
    assert ctx.shrink_budget.spent == 0.0


# The same examples every run, shrunk a fixed number of steps: the result cannot depend on how
# fast the machine is (a time-limited shrink stopped at 7 exchanges on a loaded one).
DETERMINISTIC = hypothesis.settings(SHRINKING, derandomize=True)


@pytest.mark.slow
def test_with_a_budget_the_same_defects_are_found_and_shrunk_to_a_short_sequence(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(engine, "MAX_SHRINKS", SHRINK_STEPS)
    with embedded(faults=FAULTS) as ctx:
        ctx.shrink_budget = ShrinkBudget(3600.0)  # never the limit: SHRINK_STEPS is
        assert sorted(find_defects(ctx, conversations_machine, DETERMINISTIC)) == FOUND
        evidence = failures(ctx)["CONV-COUNT-MATCHES"]["evidence"][-1]
    assert "CONV-COUNT-MATCHES" in ctx.shrink_budget.shrunk
    assert 1 <= len(evidence["exchanges"]) <= 6


def test_the_budget_bounds_hypothesis_shrinking_and_restores_its_limit() -> None:
    budget = ShrinkBudget(5.0, spent=4.0)
    saved = engine.MAX_SHRINKING_SECONDS
    with budget.limit("X"):
        assert pytest.approx(1.0) == engine.MAX_SHRINKING_SECONDS
        assert budget.active == "X"
        time.sleep(0.01)
    assert saved == engine.MAX_SHRINKING_SECONDS and budget.active is None
    assert budget.spent > 4.0


def test_a_block_that_shrank_nothing_is_not_charged() -> None:
    budget = ShrinkBudget(5.0)
    with budget.limit("X", charged=lambda: False):
        time.sleep(0.01)
    assert budget.spent == 0.0 and budget.summary() is None


def test_the_terminal_says_what_was_shrunk_and_what_the_budget_left_as_found() -> None:
    budget = ShrinkBudget(20.0, spent=20.0, shrunk=["A"], unshrunk=["B"])
    assert budget.summary() == (
        "shrinking: 20.0 s of the 20 s budget (--shrink-budget); minimal sequences for A; "
        "as found (budget spent) for B"
    )


def test_a_budget_of_zero_is_shrinking_off_and_says_so() -> None:
    assert ShrinkBudget(0.0, spent=0.4).summary() == (
        "shrinking: off (--no-shrink or --shrink-budget 0): failures are shown as found"
    )


def test_the_start_of_shrinking_is_announced_with_what_was_found_and_the_budget() -> None:
    said: list[str] = []
    budget = ShrinkBudget(20.0, spent=5.0, announce=said.append)
    budget.start(["CONV-X", "CONV-Y"])
    assert said == ["found CONV-X, CONV-Y; shrinking them to minimal sequences within 15 s (--shrink-budget)"]


@pytest.mark.slow
def test_a_failing_run_says_what_it_found_before_it_shrinks_and_what_the_budget_did(tmp_path: Path) -> None:
    done = conformance_run(
        tmp_path, "-k", "lifecycle", "--shrink-budget", "1", env={"CONFORMANCE_SERVER_BEHAVIOUR": "slskd"}
    )
    out = done.stdout
    assert done.returncode == 1, out + done.stderr
    announced = out.index("slskd-conformance: found ")
    assert "within 1 s (--shrink-budget)" in out[announced:].splitlines()[0]
    assert announced < out.index("= FAILURES =") < out.index("shrinking: ")

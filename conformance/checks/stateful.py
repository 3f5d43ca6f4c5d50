"""An API's state machine, run until every defect is found.

The machine is the API's (`Api.machine`): its rules (what a client does) over its steps (each
call and its read-back), judged against its model.

A failing MUST/SHOULD requirement's final, shrunk replay is recorded last, so the newest
evidence of that requirement is the minimal sequence of HTTP calls. `find_defects` then runs
the machine again with that requirement tolerated, until the machine passes: one minimal
example per defect, not only the first.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import hypothesis
from hypothesis import Phase
from hypothesis.stateful import run_state_machine_as_test

from conformance.checks.context import SuiteContext
from conformance.checks.failures import RequirementFailed

STEPS_PER_EXAMPLE = 15  # long enough for send → receive → close → reopen → read, short to shrink
MIN_EXAMPLES = 10  # ~27 requests each: about 0.1 s on the embedded server
# The machine takes this share of the run's --max-examples (at least MIN_EXAMPLES): 15 of the
# default 25. One of its examples costs ~27 requests, a Schemathesis case one or two: with all
# 25 the default run sent 1,054-1,156 requests at seeds 0-2, over its budget of 1,000; with 15,
# 772-891, and no requirement's status changed at those seeds. Shorter sequences instead (9
# steps) cost as little but let a mutant of the corpus (10 examples) live: long sequences find
# more faults than the 16th to 25th example does.
EXAMPLES_PERCENT = 60


def failed_requirements(error: BaseException) -> list[str]:
    """The requirements an error from the machine (maybe a group of them) reports failing."""
    if isinstance(error, RequirementFailed):
        return [error.requirement]
    if isinstance(error, BaseExceptionGroup):
        return [r for inner in error.exceptions for r in failed_requirements(inner)]
    return []


def stateful_settings(base: hypothesis.settings) -> hypothesis.settings:
    """The run's settings for the machine: EXAMPLES_PERCENT of the examples the run asks for
    (at least MIN_EXAMPLES: a fault often needs a particular pair of steps), STEPS_PER_EXAMPLE
    steps each, and one bug reported per run: `find_defects` comes back for the others, and
    shrinking two failures at once doubles the requests a failing run costs."""
    return hypothesis.settings(
        base,
        max_examples=max(MIN_EXAMPLES, base.max_examples * EXAMPLES_PERCENT // 100),
        stateful_step_count=STEPS_PER_EXAMPLE,
        report_multiple_bugs=False,
    )


Machine = Callable[[SuiteContext, list[str]], type]  # (ctx, tolerated requirements) → the machine


def seeded(ctx: SuiteContext, seed: int, tolerated: list[str], machine: Machine) -> type:
    """The machine bound to `ctx`, drawing its sequences from `seed` (the run's --seed): the
    same seed replays the same requests, another seed explores others."""
    return hypothesis.seed(seed)(machine(ctx, tolerated))


def find_defects(
    ctx: SuiteContext, machine: Machine, settings: hypothesis.settings, seed: int = 0
) -> list[str]:
    """Find every defect first, then shrink them within the run's shrink budget.

    Pass one runs the machine without shrinking until it passes, each time tolerating the
    defects already found: every defect is known (and recorded, as found) within seconds.
    Pass two shrinks them in the order found, each with all the others tolerated, until the
    budget (`ctx.shrink_budget`) is spent; a shrunk defect's minimal example is its newest
    evidence. Returns the failing MUST/SHOULD requirements in the order found. Anything else
    the machine raises propagates. `seed` selects the sequences tried; `machine` is the API's
    (`Api.machine`)."""
    finding = hypothesis.settings(settings, phases=[p for p in settings.phases if p is not Phase.shrink])
    found: list[str] = []
    for _ in ctx.catalogue:  # a requirement is found at most once: this bounds the loop
        try:
            run_state_machine_as_test(seeded(ctx, seed, found, machine), settings=finding)
        except (RequirementFailed, BaseExceptionGroup) as error:
            new = [r for r in dict.fromkeys(failed_requirements(error)) if r not in found]
            if not new:
                raise
            found += new
        else:
            break
    if Phase.shrink in settings.phases:
        _shrink(ctx, settings, found, seed, machine)
    return found


def _shrink(
    ctx: SuiteContext, settings: hypothesis.settings, found: list[str], seed: int, machine: Machine
) -> None:
    """Pass two of `find_defects`: a minimal example per defect, while the budget lasts."""
    budget = ctx.shrink_budget
    if found and budget.left > 0:
        budget.start(found)
    quiet = hypothesis.settings(settings, verbosity=hypothesis.Verbosity.quiet)
    for requirement in found:
        if budget.left <= 0:
            budget.unshrunk.append(requirement)
            continue
        others = [r for r in found if r != requirement]
        # It fails again, as expected: the failure, now minimal, is recorded as its newest evidence.
        with budget.limit(requirement), contextlib.suppress(RequirementFailed, BaseExceptionGroup):
            run_state_machine_as_test(seeded(ctx, seed, others, machine), settings=quiet)
        (budget.shrunk if budget.left > 0 else budget.unshrunk).append(requirement)

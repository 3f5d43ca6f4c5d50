"""One conformance run, in the order it happens; each module hands the next one plain values.

    plan.py       config → what is tested: the spec, the merged spec, the requirement catalogue
    target.py     → where: the embedded server or the live URL, reached through a guarded,
                    authenticated session and preflighted (`Target`, `GuardedSession`)
    session.py      (the guarded session, built from the run's safety options)
    ledger.py     → what the run changes on a live target, so cleanup can undo exactly that
    skips.py      → which requirements cannot be checked on this target, and why
    context.py    → the `SuiteContext` the checks receive
    facts.py      → what the run learned about its target (shipped from pytest-xdist workers)
    document.py   → `results.json`, the source of truth
    reports.py    → results.json, junit.xml and index.html on disk
    lifecycle.py  `Run`: the steps above, in that order, for the pytest plugin

The CLI, the benchmark and the mutant runner all run the suite through pytest
(`conformance.cli.runner`), so this lifecycle is the only one.
"""

from conformance.run.lifecycle import Run
from conformance.run.plan import Plan, load_plan

__all__ = ["Plan", "Run", "load_plan"]

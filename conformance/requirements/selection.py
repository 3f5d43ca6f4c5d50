"""Which requirements a test of the suite checks, so that their ids select it.

`-k CONV-ACK-ONE-404` and `-m CONV_ACK_ONE_404` run the tests that check that requirement.
The answer comes from the registry (every check states what it verifies): a probe or a
scenario by its own name; the generated-case tests and the state machine by the kinds of
checks they run; a generic read by the API-OP requirement of its operation.
"""

from __future__ import annotations

from collections.abc import Mapping

from conformance.checks.registered import load_checks
from conformance.requirements.catalogue import Requirement

# Tests that run whole kinds of registered checks rather than being one check themselves.
KINDS_RUN_BY = {
    "test_operation": ("schemathesis", "response"),
    "test_read_operation": ("schemathesis", "response"),
    "test_conversation_lifecycle": ("stateful", "response"),
}


def marker_name(requirement: str) -> str:
    """`CONV-ACK-ONE-404` → `CONV_ACK_ONE_404`: a name `-m` expressions can spell."""
    return requirement.replace("-", "_")


def requirements_of(
    test: str, module: str, label: str | None, scenario: str | None, catalogue: Mapping[str, Requirement]
) -> tuple[str, ...]:
    """The requirements the test `test` of `module` (short name) checks; `label` is the
    operation a generated-case item is about, `scenario` the name of a data scenario."""
    checks = load_checks()
    names = {f"{module}.{test}"} | ({f"scenarios.{scenario}"} if scenario else set())
    kinds = KINDS_RUN_BY.get(test, ())
    found = [r for c in checks if c.name in names or c.kind in kinds for r in c.requirements]
    if test == "test_read_operation" and label:
        found += [r.id for r in catalogue.values() if r.id.startswith("API-OP-") and label in r.operations]
    return tuple(dict.fromkeys(r for r in found if r in catalogue))

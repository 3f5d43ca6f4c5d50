"""Every documented read operation of the whole slskd API, checked generically.

The merged spec (all 14 docs pages) drives Schemathesis over each GET outside Conversations;
a route the target does not implement (404 where the docs list none) is reported as not
covered, with the reason, instead of failing. A pass means the behaviour was seen: a 404
the docs list ("not found") proves nothing about the route (a missing route answers it too,
and generated ids name nothing on the target), so it is no pass; an operation that drew
nothing else stays not covered, with that reason.

A live target gets only the reads decided safe (`conformance/apis/shapes/reads.yaml`: no
dump, no update check, no secrets, nothing that reaches the Soulseek network), whatever the
profile; the others are skipped with their reason. Reads with path
parameters need ids that exist on the target, which generated ones do not: a live target
gets them only under the full profile. The run's plan decides (`conformance.run.plan`).
"""

from __future__ import annotations

from typing import Any

import hypothesis
import pytest
import schemathesis

from conformance.checks.context import SuiteContext
from conformance.checks.dedup import CaseFilter
from conformance.checks.generic import CHECKS, failures_of
from conformance.cli.plugin import suite_plan, suite_settings
from conformance.data.resources import MERGED_SPEC
from conformance.requirements.operations import requirement_id

EXAMPLES = 5  # generic reads: a few cases each keep the whole-API sweep to about a second
SETTLE_AFTER = 3  # an operation answering this many cases alike has answered the rest too
NOT_IMPLEMENTED = "the target does not implement the route (404, which the docs do not list)"
ONLY_NOT_FOUND = (
    "every request answered 404 ('not found', as documented): the route may be missing, or no id exists"
)
_plan = suite_plan()
_labels = _plan.reads
_unimplemented: dict[str, str] = {}
_cases = CaseFilter(settle_after=SETTLE_AFTER)

if _plan.merged_spec is None or not _labels:
    pytest.skip(f"no merged spec ({MERGED_SPEC.name} beside --spec)", allow_module_level=True)

schema = schemathesis.openapi.from_dict(
    _plan.merged_spec,
    config=schemathesis.Config.from_dict(
        {
            "phases": {"coverage": {"unexpected-methods": []}},
            "generation": {"database": "none", "with-security-parameters": False},
            "seed": _plan.config.seed,
        }
    ),
).include(lambda ctx: ctx.operation.label in _labels)


@schema.parametrize()
@hypothesis.settings(suite_settings(), max_examples=min(EXAMPLES, _plan.config.max_examples))
def test_read_operation(case: Any, conformance: SuiteContext) -> None:
    label = case.operation.label
    requirement = requirement_id(case.operation.definition.raw["operationId"])
    if label in _unimplemented:
        pytest.skip(_unimplemented[label])
    if not _cases.worth_sending(case):
        return
    conformance.begin_case()
    response = case.call(base_url=conformance.base_url, session=conformance.session)
    if response.status_code == 404 and "404" not in case.operation.definition.raw["responses"]:
        _unimplemented[label] = NOT_IMPLEMENTED
        conformance.recorder.not_covered(requirement, NOT_IMPLEMENTED)
        pytest.skip(f"{label}: {NOT_IMPLEMENTED}")
    failures = failures_of(case, response, CHECKS)
    message = "; ".join(f"{f.code} {f.title}: {f.message}" for f in failures)
    if response.status_code == 404 and not failures:
        conformance.recorder.not_covered(requirement, ONLY_NOT_FOUND)
    else:
        conformance.judge.verdict(requirement, not failures, message, check="schemathesis")
    _cases.record(case, response, passed=not failures)
    assert not failures, f"{label}: {message}"

"""Every operation of the generated spec, fuzzed by Schemathesis (positive and negative data).

One test per operation (`test_operation[GET /conversations]` …); each generated case is
sent through the run's guarded session and judged by `conformance.checks.generic`.
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance.checks.context import SuiteContext
from conformance.checks.dedup import CaseFilter, fuzzing_draws
from conformance.checks.generic import build_schema, check_case
from conformance.cli.plugin import suite_plan, suite_settings
from conformance.requirements.catalogue import Need

_config = suite_plan().config
schema = build_schema(_config.spec, _config.profile, tuple(_config.writable_usernames) or None, _config.seed)
# A request that passed once is not sent again; nor are more random draws of an operation
# (fuzzing phase, one generation mode) that answered SETTLE_AFTER alike in a row.
SETTLE_AFTER = 3
_cases = CaseFilter(settle_after=SETTLE_AFTER, stream=fuzzing_draws)


@schema.parametrize()
@suite_settings()
def test_operation(case: Any, conformance: SuiteContext, why_no_writes: str | None) -> None:
    if case.method != "GET" and not conformance.can_write:
        pytest.skip(why_no_writes)
    if case.method == "POST" and (missing := conformance.offers.missing(Need.OUTGOING)):
        pytest.skip(missing)  # every send answers 500 there, by design
    if not _cases.worth_sending(case):
        return
    conformance.begin_case()
    response = case.call(base_url=conformance.base_url, session=conformance.session)
    passed = False
    try:
        check_case(conformance, case, response)
        passed = True
    finally:
        _cases.record(case, response, passed)

"""The probes that are data: each installed API's scenarios (`Api.scenarios`), one item each.

Each scenario runs through its API's probe (`Api.probe`, the engine's `Probe` when the API
declares none), so its answers are judged per response like those of the probes in code.
"""

from __future__ import annotations

import pytest

from conformance.apis import installed
from conformance.apis.interface import Api
from conformance.checks.context import SuiteContext
from conformance.checks.probes import Probe
from conformance.checks.scenarios import Scenario, load_scenarios

SCENARIOS = [
    (api, scenario)
    for api in installed()
    if (path := api.file(api.scenarios)) is not None
    for scenario in load_scenarios((path,))
]


@pytest.mark.parametrize(("api", "scenario"), SCENARIOS, ids=[scenario.name for _, scenario in SCENARIOS])
def test_scenario(conformance: SuiteContext, api: Api, scenario: Scenario) -> None:
    scenario.run((api.probe or Probe)(conformance))

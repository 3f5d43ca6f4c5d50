"""Searches, explored by the model-based state machine (conformance.apis.searches.rules).

Searches created, run to their end or cancelled, listed and deleted, each judged against what
the network knows was sent for it (`ctx.network`); they reach peers, so they run only where
the run allows searches, and each distinct search is sent once a run, within a time budget
(`conformance.apis.searches.rules.search_budget`).
"""

from __future__ import annotations

import hypothesis
import pytest

from conformance.apis.searches import API
from conformance.checks.context import SuiteContext
from conformance.checks.stateful import find_defects, stateful_settings
from conformance.cli.config import RunConfig


def test_search_model(
    conformance: SuiteContext, conformance_settings: hypothesis.settings, conformance_config: RunConfig
) -> None:
    if not conformance.can_write:
        pytest.skip("the read-only profile sends no writes")
    if getattr(conformance, "network", None) is None:
        pytest.skip("no oracle of what the network sent (embedded server or --network-control)")
    if API.machine is None:
        pytest.skip("the Searches model is not installed")
    settings = stateful_settings(conformance_settings)
    defects = find_defects(conformance, API.machine, settings, conformance_config.seed)
    if defects:
        pytest.fail(f"searches break {', '.join(defects)} (see evidence)", pytrace=False)

"""Downloads, explored by the model-based state machine (conformance.apis.transfers.rules).

Files the simulated peers share (and one they do not) enqueued, read, cancelled, removed and
cleared in any order, the lists checked after each step and every download judged at the end
of each example against what the network says its peer received and sent; they take real
users' upload slots, so they run only where the run allows downloads.
"""

from __future__ import annotations

import hypothesis
import pytest

from conformance.apis.transfers import API
from conformance.apis.transfers.rules import machine_settings
from conformance.checks.context import SuiteContext
from conformance.checks.stateful import find_defects
from conformance.cli.config import RunConfig


def test_transfer_model(
    conformance: SuiteContext, conformance_settings: hypothesis.settings, conformance_config: RunConfig
) -> None:
    if not conformance.can_write:
        pytest.skip("the read-only profile sends no writes")
    if getattr(conformance, "network", None) is None:
        pytest.skip("no oracle of what the network carried (embedded server or --network-control)")
    if API.machine is None:
        pytest.skip("the Transfers model is not installed")
    machine = API.machine(conformance, [])
    if not getattr(machine, "files", None):
        pytest.skip("no file to download: downloads not allowed here, or no uploading peer")
    defects = find_defects(
        conformance, API.machine, machine_settings(conformance_settings), conformance_config.seed
    )
    if defects:
        pytest.fail(f"downloads break {', '.join(defects)} (see evidence)", pytrace=False)

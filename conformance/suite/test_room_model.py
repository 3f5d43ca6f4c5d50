"""Rooms, explored by the model-based state machine (conformance.apis.rooms.rules).

The network's rooms (and one the join makes) joined, left, talked in and read in any order,
each read judged by the model against what the network says happened in the room; joining and
talking reach a real room's members, so they run only where the run allows rooms.
"""

from __future__ import annotations

import hypothesis
import pytest

from conformance.apis.rooms import API
from conformance.apis.rooms.rules import machine_settings
from conformance.checks.context import SuiteContext
from conformance.checks.stateful import find_defects
from conformance.cli.config import RunConfig
from conformance.requirements.catalogue import Need


def test_room_model(
    conformance: SuiteContext, conformance_settings: hypothesis.settings, conformance_config: RunConfig
) -> None:
    if not conformance.can_write:
        pytest.skip("the read-only profile sends no writes")
    if getattr(conformance, "network", None) is None:
        pytest.skip("no view of the network's rooms (embedded server or --network-control)")
    if API.machine is None:
        pytest.skip("the Rooms model is not installed")
    machine = API.machine(conformance, [])
    if not getattr(machine, "pool", None):
        pytest.skip("no room to join: rooms not allowed here, or the network has none")
    if missing := conformance.offers.missing(Need.INCOMING):
        pytest.skip(missing)
    defects = find_defects(
        conformance, API.machine, machine_settings(conformance_settings), conformance_config.seed
    )
    if defects:
        pytest.fail(f"rooms break {', '.join(defects)} (see evidence)", pytrace=False)

"""The conversations lifecycle, explored by the model-based state machine.

Sequences of sends, replies, acknowledgements, closes and reads, each step judged against
`conformance.apis.conversations.model`; every defect found is shrunk to a minimal sequence of requests,
which is the newest evidence of its requirement. The machine takes 60% of the run's examples
(at least 10) of 15 steps each: about 1.5 s on the embedded server with the default 25 (15).
"""

from __future__ import annotations

import hypothesis
import pytest

from conformance.apis.conversations import API
from conformance.checks.context import SuiteContext
from conformance.checks.stateful import find_defects, stateful_settings
from conformance.cli.config import RunConfig


def test_conversation_lifecycle(
    conformance: SuiteContext, conformance_settings: hypothesis.settings, conformance_config: RunConfig
) -> None:
    if not conformance.can_write:
        pytest.skip("the read-only profile sends no writes")
    settings = stateful_settings(conformance_settings)
    assert API.machine is not None, "Conversations declares its state machine"
    defects = find_defects(conformance, API.machine, settings, conformance_config.seed)
    if defects:
        pytest.fail(f"the conversations lifecycle breaks {', '.join(defects)} (see evidence)", pytrace=False)

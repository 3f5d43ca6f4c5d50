"""A target answering JSON of the wrong shape is non-conformant, never a crash of the checker.

Every route of the fake answers the same undocumented JSON (an object where a list belongs, a
list of odd items where an object belongs, a string, null, a number): the schema checks report
it, and whatever reads those answers afterwards (probes, the state machine, preflight) judges
them instead of failing with an AttributeError, a TypeError or a KeyError of ours.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.servers.local import LocalServer
from tests.servers.misbehaving import WRONG_SHAPES, wrong_shape
from tests.test_end_to_end import forked_run

pytestmark = pytest.mark.slow

FULL = ["--profile=full", "--i-understand-this-messages-real-users", "--rate=none", "--max-examples=5"]
# Every run here fails dozens of requirements: shrinking them all would spend the whole default
# budget (20 s a run) re-sending the same wrong answers to code that already judged them.
AS_FOUND = "--no-shrink"
CRASHES = ("INTERNALERROR", "Traceback", "AttributeError", "TypeError", "KeyError")


@pytest.mark.parametrize("shape", WRONG_SHAPES)
def test_wrongly_shaped_answers_are_defects_with_a_verdict_not_crashes(tmp_path: Path, shape: str) -> None:
    with LocalServer(wrong_shape(WRONG_SHAPES[shape])) as server:
        run = forked_run(
            tmp_path, f"--target-url={server.url}", *FULL, AS_FOUND, env={"SLSKD_API_KEY": "wrong-shapes-key"}
        )
    output = run.stdout + run.stderr
    assert [crash for crash in CRASHES if crash in output] == [], output[-4000:]
    assert run.code == 1, output[-4000:]
    results = run.results
    assert results["summary"]["verdict"] == "non-conformant"
    failing = {row["id"] for row in results["requirements"] if row["status"] == "fail"}
    assert "API-RESPONSE-SCHEMA" in failing, sorted(failing)

"""Read-only means free of side effects: the catalogue's decision for every documented read, kept.

`GET /application/dump` writes a memory dump of slskd, `GET /application/version/latest?
forceCheck=true` phones out (issue 16, item 3). Each documented read has a decision with its
reason in its API's reads file (`conformance/apis/shapes/reads.yaml`), and a run against a
live target never sends an unsafe one, even under the full profile.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.data.resources import MERGED_SPEC
from conformance.requirements.operations import read_operations
from conformance.requirements.reads import UNDECIDED, read_decisions, why_unsafe
from tests.servers.fake_slskd import FakeSlskd
from tests.servers.local import LocalServer

SPEC = json.loads(MERGED_SPEC.read_text(encoding="utf-8"))
DOCUMENTED_READS = {label for _, label, _ in read_operations(SPEC)}


def test_every_documented_read_has_exactly_one_decision() -> None:
    assert set(read_decisions()) == DOCUMENTED_READS


def test_every_decision_says_why_and_where_from() -> None:
    for decision in read_decisions().values():
        assert decision.reason.strip()
        assert decision.source.startswith(("slskd: ", "docs: ")), decision


@pytest.mark.parametrize(
    "operation",
    [
        "GET /application/dump",  # writes a memory dump
        "GET /application/version/latest",  # forceCheck phones out
        "GET /options/yaml",  # the configuration file, secrets included
        "GET /options/debug",
        "GET /rooms/available",  # asks the Soulseek server
        "GET /users/{username}/browse",  # connects to a peer (Users: undecided here, the guard holds it)
    ],
)
def test_reads_with_side_effects_are_unsafe(operation: str) -> None:
    assert why_unsafe(operation)


def test_a_read_without_a_decision_counts_as_unsafe() -> None:
    assert why_unsafe("GET /a/new/route") == UNDECIDED


def _pattern(operation: str) -> re.Pattern[str]:
    path = operation.split(" ", 1)[1]
    return re.compile("/api/v0" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$")


@pytest.mark.slow
def test_a_live_run_never_sends_an_unsafe_read_even_under_the_full_profile(tmp_path: Path) -> None:
    unsafe = [operation for operation in read_decisions() if why_unsafe(operation)]
    with LocalServer(FakeSlskd(api_key=None).handler) as target:
        subprocess.run(
            [
                sys.executable, "-m", "conformance.cli", "run", f"--target-url={target.url}",
                "--profile=full", "--i-understand-this-messages-real-users", "--rate=none",
                f"--reports-dir={tmp_path}", "-k", "test_read_operation", "-n", "0", "-q",
            ],
            capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
    paths = {request.path for request in target.received}
    assert any(path.endswith("/api/v0/application") for path in paths)  # safe reads were sent
    sent_unsafe = {path for path in paths for operation in unsafe if _pattern(operation).match(path)}
    assert sent_unsafe == set()
    results = json.loads((tmp_path / "latest" / "results.json").read_text(encoding="utf-8"))
    rows = results["requirements"]
    skipped = {row["operations"][0]: row["reason"] for row in rows if row["status"] == "skipped"}
    assert skipped["GET /application/dump"].startswith("not sent to a live slskd: writes a memory dump")

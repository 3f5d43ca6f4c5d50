"""A download takes a real user's upload slot: the guard lets POST /transfers/downloads/… out
only where no real person can be reached (the embedded server, a target proven on the simulated
network) or with `--allow-transfers`, whatever the profile; and a run leaves no download behind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests

from conformance.errors import WriteBlocked
from conformance.transport.policy import PeerWrite, Profile, WritePolicy
from tests.servers import reference

TRANSFERS = PeerWrite("transfers", ("POST",), consent="transfers")
TARGET = "http://127.0.0.1:5030/api/v0"


def policy(profile: Profile, consented: tuple[str, ...] = ()) -> WritePolicy:
    return WritePolicy.for_target(profile, (), "http://127.0.0.1:5030", (), (TRANSFERS,), consented)


@pytest.mark.parametrize("profile", list(Profile))
def test_no_profile_lets_a_download_out_without_consent(profile: Profile) -> None:
    with pytest.raises(WriteBlocked, match=r"reaches real Soulseek users.*--allow-transfers"):
        policy(profile).check("POST", f"{TARGET}/transfers/downloads/alice")


def test_consent_lets_the_download_out_and_reads_need_none() -> None:
    policy(Profile.FULL, ("transfers",)).check("POST", f"{TARGET}/transfers/downloads/alice")
    policy(Profile.FULL).check("GET", f"{TARGET}/transfers/downloads")


def live_run(tmp_path: Path, *consent: str) -> tuple[list[dict[str, Any]], list[Any], dict[str, Any]]:
    """A full-profile Transfers run against a reference server as a live target: what its
    network's peers were asked for, what it lists afterwards, the results."""
    with reference.live_run(tmp_path, "transfer", *consent) as (server, _, results):
        log = server.app.network.transfer_log()
        asked = [] if log is None else log.as_json()
        left = requests.get(f"{server.url}/api/v0/transfers/downloads", timeout=10).json()
    return asked, left, results


@pytest.mark.slow
def test_a_live_run_without_consent_downloads_nothing(tmp_path: Path) -> None:
    asked, left, results = live_run(tmp_path)
    assert asked == [] and left == []
    reasons = {row["id"]: row["reason"] for row in results["requirements"] if row["status"] == "skipped"}
    assert "--allow-transfers" in str(reasons.get("TRANSFER-ENQUEUE-400"))


@pytest.mark.slow
def test_a_live_run_with_consent_enqueues_only_what_no_peer_is_asked_for_and_leaves_nothing(
    tmp_path: Path,
) -> None:
    """With consent but no oracle of the network (no --network-control), the files real peers
    share are unknown: only the malformed enqueues go out, refused before any peer is asked."""
    asked, left, results = live_run(tmp_path, "--allow-transfers")
    statuses = {row["id"]: row["status"] for row in results["requirements"]}
    assert statuses["TRANSFER-ENQUEUE-400"] == "pass"
    assert statuses["TRANSFER-ENQUEUE-201"] in ("skipped", "not-covered")  # no download judged
    assert asked == [] and left == []

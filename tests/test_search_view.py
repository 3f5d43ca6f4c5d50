"""The checks' oracle (contract §2): what the network knows was sent, handed to them by the run.

The embedded server's simulated network is read in-process, a live target proven on the
simulated network through `conformance network`'s control API, and a live target on the real
network has none. Under pytest-xdist every worker starts its own embedded server, so each
worker's oracle must see its own searches and only those.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import requests

from conformance.apis.searches.oracle import SearchOracle
from conformance.network.control_client import ControlClient
from conformance.reference.options import ReferenceOptions
from conformance.reference.server import ReferenceServer
from conformance.run.network_view import network_handle
from tests.cli import conformance_run


def test_a_live_target_on_the_real_network_has_no_oracle() -> None:
    assert network_handle(None, None, 5.0) is None


def test_a_target_proven_on_the_simulated_network_is_read_through_its_control_api() -> None:
    handle = network_handle(None, "http://127.0.0.1:5031", 5.0)
    assert handle is not None and isinstance(handle.control, ControlClient) and handle.simulated is None


def test_each_embedded_server_has_its_own_oracle_as_each_xdist_worker_does() -> None:
    with ReferenceServer(ReferenceOptions()) as one, ReferenceServer(ReferenceOptions()) as other:
        views = [SearchOracle(network_handle(s.app.network, None, 5.0)) for s in (one, other)]  # type: ignore[arg-type,union-attr]
        assert [view.searches() for view in views] == [[], []]
        assert any(peer.get("shares") for peer in views[0].peers()), "the sharing peers, with their files"
        answer = requests.post(f"{one.base_url}/searches", json={"searchText": "song"}, timeout=10)
        assert answer.status_code == 200, answer.text
        for _ in range(50):  # the FileSearch leaves after the reply
            if views[0].searches():
                break
            time.sleep(0.02)
        (sent,) = views[0].searches()
        assert sent["query"] == "song" and sent["token"] == answer.json()["token"]
        assert views[1].searches() == [], "one worker's searches are not another's"


@pytest.mark.slow
def test_the_searches_items_judge_against_the_oracle_under_xdist(tmp_path: Path) -> None:
    run = conformance_run(tmp_path, "-k", "search and not conversation", "-n", "2", "-q")
    assert run.returncode == 0, run.stdout[-3000:]
    rows = json.loads((tmp_path / "latest" / "results.json").read_text(encoding="utf-8"))["requirements"]
    status = {row["id"]: row["status"] for row in rows}
    for requirement in ("SEARCH-RESPONSES-EXACT", "SEARCH-NETWORK-QUERY", "SEARCH-COUNTS"):
        assert status.get(requirement) == "pass", (requirement, status.get(requirement))

"""Searches through the network (issue 23): the reference slskd logged in to `conformance network`
(`serve --soulseek`) searches over the Soulseek protocol, and the network's sharing peers answer
over real loopback sockets. What reaches the search is compared with what the network's control
API (`GET /searches`) says each peer sent: the chain checker → REST API → FileSearch → peers →
SearchResponse → the reference's listener, with nothing simulated in-process.

Three layers, each waiting for the work it needs (skipped, with the reason, until it is on main):
the protocol alone (the reference's Soulseek client, the network's peers), a search made on the
REST API, and the gate run's Searches checks for `--server-behaviour slskd`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.util import find_spec
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import requests

from conformance.network.command import DEFAULT_PEERS
from conformance.network.control import ControlServer
from conformance.network.server import NetworkServer
from conformance.peers.matching import network_query, path_words
from conformance.peers.responses import PeerResponse
from conformance.reference import ReferenceOptions, ReferenceServer
from conformance.reference.soulseek import SoulseekConnection
from tests.network_client import eventually
from tests.test_network_gate import gate

USERNAME = "slskd-under-test"
SETTLE_S = 0.5  # past the slowest peer's delay: every answer the network will send is sent


class Network(NamedTuple):
    server: NetworkServer
    control: ControlServer
    sharing: list[dict[str, Any]]  # GET /peers entries that share files


def control_get(control: ControlServer, path: str) -> requests.Response:
    return requests.get(f"{control.url}{path}", timeout=5)


@contextmanager
def network() -> Iterator[Network]:
    """`conformance network` with its default peers; skipped until it has sharing peers and
    shows the searches it received (h1's part of issue 23)."""
    with NetworkServer(DEFAULT_PEERS) as server, ControlServer(server) as control:
        sharing = [peer for peer in control_get(control, "/peers").json() if peer.get("shares")]
        if not sharing or control_get(control, "/searches").status_code != 200:
            pytest.skip("conformance network has no sharing peers or no GET /searches yet")
        yield Network(server, control, sharing)


def common_word(sharing: list[dict[str, Any]]) -> str:
    """A word in the shares of the most peers (ties: the first in order): a text many answer."""
    counts: dict[str, int] = {}
    for peer in sharing:
        for word in {w for file in peer["shares"] for w in path_words(file["filename"]) if len(w) > 1}:
            counts[word] = counts.get(word, 0) + 1
    return max(sorted(counts), key=lambda word: counts[word])


def received(control: ControlServer, token: int) -> dict[str, Any] | None:
    """The network's record of our search `token`: its query and every response sent for it
    (under any token)."""
    found = [
        s for s in control_get(control, "/searches").json() if s["from"] == USERNAME and s["token"] == token
    ]
    return found[-1] if found else None


def sent_for(control: ControlServer, token: int) -> list[dict[str, Any]]:
    record = received(control, token)
    return record["responses"] if record else []


def slowest(sharing: list[dict[str, Any]]) -> float:
    return max(float(peer.get("delayS", 0.0)) for peer in sharing)


def by_user(responses: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(responses, key=lambda response: (response["username"], response["token"]))


def test_a_search_over_the_protocol_gets_exactly_what_the_networks_peers_sent() -> None:
    """FileSearch out, SearchResponses in on the listener (or via ConnectToPeer): every answer
    under the search's own token arrives once, field for field; one under another token (a
    misnumbering peer) is dropped, as Soulseek.NET drops it."""
    with network() as net:
        client = SoulseekConnection("127.0.0.1", net.server.port, USERNAME, "pw")
        client.start(lambda incoming: None)
        try:
            got: list[PeerResponse] = []
            lock = threading.Lock()

            def deliver(response: PeerResponse) -> None:
                with lock:
                    got.append(response)

            token, query = 90_001, network_query(common_word(net.sharing))
            started = time.monotonic()
            client.search(token, query, deliver)
            eventually(lambda: got, "the first response", timeout_s=5)
            first_s = time.monotonic() - started
            time.sleep(slowest(net.sharing) + SETTLE_S)
            sent = [entry["response"] for entry in sent_for(net.control, token)]
            expected = [response for response in sent if response["token"] == token]
            eventually(lambda: len(got) >= len(expected), "every response sent", timeout_s=5)
        finally:
            client.close()
    assert expected, f"nobody answered {query!r}"
    assert by_user([response.as_json() for response in got]) == by_user(expected)
    print(
        f"\nsearch round trip through the network: first response {first_s * 1000:.1f} ms, {len(got)} in all"
    )


class Reference(NamedTuple):
    url: str
    network: Network


@contextmanager
def reference() -> Iterator[Reference]:
    """A reference slskd (slskd's behaviour) logged in to the network; skipped until it emulates
    Searches (h2's part of issue 23)."""
    if find_spec("conformance.apis.searches.routes") is None:
        pytest.skip("the reference server does not emulate Searches yet")
    with network() as net:
        options = ReferenceOptions(
            behaviour="slskd", soulseek=("127.0.0.1", net.server.port), soulseek_username=USERNAME
        )
        with ReferenceServer(options) as slskd:
            yield Reference(slskd.base_url, net)


def test_a_search_made_on_the_rest_api_shows_the_responses_the_network_sent() -> None:
    """POST /searches on the reference, with no filter and a short timeout: once it completes,
    its responses are those the network's peers sent under its token before it ended, each once
    and field for field; its counts are their sums."""
    with reference() as ref:
        text = common_word(ref.network.sharing)
        body = {"searchText": text, "filterResponses": False, "searchTimeout": 1_500, "responseLimit": 10_000}
        created = requests.post(f"{ref.url}/searches", json=body, timeout=5)
        assert created.status_code == 200, created.text
        search = created.json()
        started, started_at = time.monotonic(), time.time()

        def done() -> dict[str, Any] | None:
            found = requests.get(f"{ref.url}/searches/{search['id']}", timeout=5).json()
            return found if found["isComplete"] else None

        eventually(done, "the search to complete", timeout_s=15)
        ended_s = time.monotonic() - started
        final = done()
        assert final is not None
        responses = requests.get(f"{ref.url}/searches/{search['id']}/responses", timeout=5).json()
        record = received(ref.network.control, search["token"])
    assert record is not None, "the network received no FileSearch under the search's token"
    sent, received_query = record["responses"], record["query"]
    ended_at = started_at + ended_s  # when it was seen complete: within a poll of its endedAt
    timely = [
        e["response"]
        for e in sent
        if e["response"]["token"] == search["token"] and e["sent_at"] < ended_at - 0.5
    ]
    late = [e["response"] for e in sent if e["sent_at"] > ended_at + 0.5]
    assert timely, f"nobody answered {text!r} in time"
    shown = by_user(responses)
    assert [r for r in shown if r in timely] == by_user(timely)  # each timely one, once
    assert not [r for r in shown if r in late]
    assert final["responseCount"] == len(responses)
    assert final["fileCount"] == sum(r["fileCount"] for r in responses)
    assert final["lockedFileCount"] == sum(r["lockedFileCount"] for r in responses)
    assert received_query == network_query(text)  # the FileSearch the network got, under the search's token
    print(f"\nREST search through the network: {len(responses)} responses, completed after {ended_s:.2f} s")


def searches_of(run: Any) -> list[dict[str, Any]]:
    return [r for r in run.results["requirements"] if r["tag"] == "Searches"]


@pytest.mark.slow
def test_the_gate_runs_the_searches_checks_clean_through_the_network_for_slskd(tmp_path: Path) -> None:
    """`conformance network` + `serve --soulseek` + `run --network-control`, the Searches checks
    only: none fails for slskd's behaviour except the documentation gaps it is known for."""
    if find_spec("conformance.apis.searches.routes") is None:
        pytest.skip("the reference server does not emulate Searches yet")
    with network():  # skips until the network's peers share files and it shows its searches
        pass
    with gate(tmp_path, "-k", "search and not conversation", "--no-shrink") as run:
        pass
    searches = searches_of(run)
    assert searches, run.stdout[-3000:]
    defects = {r["id"] for r in searches if r["status"] == "fail" and r["level"] != "INFO"}
    assert defects == set(), run.stdout[-3000:]
    covered = [r for r in searches if r["status"] in ("pass", "fail")]
    assert len(covered) / len(searches) >= 0.8, [r["id"] for r in searches if r not in covered]

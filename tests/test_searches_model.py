"""The searches model's judgements on plain values: what the oracle says was sent vs stored."""

from __future__ import annotations

import itertools
import json as jsonlib
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlsplit

import hypothesis
import pytest
import requests

from conformance.apis.searches.ids import Search
from conformance.apis.searches.model import Ended, SearchSpec, Sent, judge_ending, judge_responses
from conformance.apis.searches.oracle import CONSENT
from conformance.apis.searches.reading import parse_state, seconds
from conformance.apis.searches.rules import searches_machine
from conformance.apis.searches.steps import judge_states
from conformance.checks.context import NetworkHandle, SuiteContext
from conformance.checks.stateful import find_defects, stateful_settings
from conformance.peers.library import SharedFile, load
from conformance.peers.matching import network_query
from conformance.peers.responses import PeerResponse
from conformance.reference.network import SimulatedNetwork
from conformance.requirements.catalogue import load_catalogue
from conformance.results.collector import CaseRecorder

TOKEN = 77


def response(
    user: str, *, token: int = TOKEN, files: int = 2, queue: int = 0, speed: int = 500
) -> dict[str, Any]:
    shared = tuple(
        SharedFile(f"Music\\{user}\\{i} song.mp3", 1000 + i, ((0, 320), (1, 200))) for i in range(files)
    )
    return PeerResponse(user, token, shared, (), True, speed, queue).as_json()


def ended(
    stored: list[dict[str, Any]],
    sent: list[Sent],
    reason: str = "TimedOut",
    timeout_s: float = 1.0,
    **spec: Any,
) -> Ended:
    counts = {
        "responseCount": len(stored),
        "fileCount": sum(r["fileCount"] for r in stored),
        "lockedFileCount": sum(r["lockedFileCount"] for r in stored),
    }
    return Ended(
        SearchSpec("song", timeout=1, **spec),
        TOKEN,
        reason,
        100.0,
        101.5,
        counts,
        stored,
        timeout_s,
        None,
        sent,
    )


def failing(findings: list[Any]) -> set[str]:
    return {f.requirement for f in findings if not f.ok}


def test_state_strings() -> None:
    assert parse_state("Completed, TimedOut") == ("Completed", "TimedOut")
    assert parse_state("InProgress") == ("InProgress", None)
    assert parse_state("completed, timedOut") is None
    assert parse_state("Completed|TimedOut") is None
    assert seconds("1970-01-01T00:00:01.5000000Z") == 1.5


def test_timed_out_holds_exactly_the_timely_eligible() -> None:
    good, busy, wrong = response("a"), response("busy", queue=5000), response("w", token=TOKEN ^ 1)
    late = response("late")
    sent = [
        Sent("a", 100.1, good),
        Sent("busy", 100.1, busy),
        Sent("w", 100.1, wrong),
        Sent("late", 103.0, late),
    ]
    assert failing(judge_responses(ended([good], sent, max_queue=100))) == set()
    assert Search.SEARCH_RESPONSES_EXACT in failing(judge_responses(ended([], sent, max_queue=100)))
    assert Search.SEARCH_RESPONSES_FILTERED in failing(
        judge_responses(ended([good, busy], sent, max_queue=100))
    )
    assert Search.SEARCH_RESPONSES_TOKEN in failing(judge_responses(ended([good, wrong], sent)))
    assert Search.SEARCH_RESPONSES_LATE_DROPPED in failing(judge_responses(ended([good, late], sent)))
    assert Search.SEARCH_RESPONSES_EXACT in failing(judge_responses(ended([good, good], sent)))
    # filterResponses=false: the busy peer must be there too
    unfiltered = judge_responses(ended([good], sent, max_queue=100, filter_responses=False))
    assert Search.SEARCH_RESPONSES_FILTERED in failing(unfiltered)


def test_fields_and_counts() -> None:
    good = response("a")
    sent = [Sent("a", 100.1, good)]
    swapped = {
        **good,
        "files": [{**f, "bitRate": f["length"], "length": f["bitRate"]} for f in good["files"]],
    }
    assert Search.SEARCH_RESPONSES_EXACT in failing(judge_responses(ended([swapped], sent)))
    doubled = ended([good], sent)
    doubled.counts["responseCount"] = 2
    assert failing(judge_responses(doubled)) == {Search.SEARCH_COUNTS}


def test_endings() -> None:
    good = response("a")
    sent = [Sent("a", 100.1, good)]
    assert failing(judge_ending(ended([good], sent))) == set()
    assert Search.SEARCH_LIMIT_RESPONSES in failing(judge_ending(ended([good], sent, response_limit=1)))
    assert Search.SEARCH_COMPLETE_REASON in failing(judge_ending(ended([good], sent, "ResponseLimitReached")))
    assert Search.SEARCH_COMPLETE_REASON in failing(judge_ending(ended([good], sent, "Cancelled")))
    # timeout 2 s, yet ended 0.6 s after accepting a response (and 1.5 s after it started: a
    # timeout not reset by it looks like this, had it started 0.5 s late)
    not_reset = ended([good], [Sent("a", 100.9, good)], timeout_s=1.4)
    assert Search.SEARCH_TIMEOUT_RESET in failing(judge_ending(not_reset))


def test_states_forward_only() -> None:
    def body(state: str, done: bool, responses: int = 0) -> dict[str, Any]:
        return {
            "state": state,
            "isComplete": done,
            "endedAt": "x" if done else None,
            "responseCount": responses,
        }

    fine = [body("Requested", False), body("InProgress", False, 2), body("Completed, TimedOut", True, 3)]
    assert failing(judge_states(fine)) == set()
    back = [body("InProgress", False), body("Queued", False)]
    assert failing(judge_states(back)) == {Search.SEARCH_STATE_FORWARD}
    fewer = [body("InProgress", False, 3), body("InProgress", False, 1)]
    assert failing(judge_states(fewer)) == {Search.SEARCH_COUNTS_MONOTONIC}


# --- the machine end to end, against a small stand-in for slskd's search service ----------
# (the reference server's emulation is another helper's; this stand-in keeps the model's own
# tests independent of it: slskd's rules in a few lines, over the simulated network's peers)


class _Searches:
    """slskd's search rules (ms timeouts, responses shown at completion), with `faults`."""

    def __init__(self, network: SimulatedNetwork, faults: frozenset[str]) -> None:
        self.network, self.faults = network, faults
        self.lock = threading.RLock()
        self.rows: dict[str, dict[str, Any]] = {}
        self.tokens = itertools.count(1000)

    def stamp(self) -> str:
        return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def view(self, row: dict[str, Any], responses: bool) -> dict[str, Any]:
        shown = {k: v for k, v in row.items() if not k.startswith("_")}
        shown["responses"] = list(row["_responses"]) if responses and row["isComplete"] else []
        return shown

    def create(self, body: dict[str, Any]) -> tuple[int, Any]:
        query = network_query(str(body.get("searchText", "")))
        timeout = body.get("searchTimeout", 15000)
        if not query or timeout < 5:
            return 400, "invalid"
        row: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "searchText": body["searchText"],
            "token": next(self.tokens),
            "state": "InProgress",
            "isComplete": False,
            "startedAt": self.stamp(),
            "responseCount": 0,
            "fileCount": 0,
            "lockedFileCount": 0,
            "_body": body,
            "_responses": [],
            "_last": time.monotonic(),
        }
        self.rows[row["id"]] = row
        self.network.search(row["token"], query, lambda response: self.deliver(row, response))
        threading.Thread(target=self.time_out, args=(row, timeout / 1000), daemon=True).start()
        return 200, self.view(row, False)

    def complete(self, row: dict[str, Any], reason: str) -> None:
        if not row["isComplete"]:
            row.update(state=f"Completed, {reason}", isComplete=True, endedAt=self.stamp())

    def time_out(self, row: dict[str, Any], timeout: float) -> None:
        while not row["isComplete"]:
            time.sleep(0.01)
            with self.lock:
                if time.monotonic() - row["_last"] >= timeout:
                    self.complete(row, "TimedOut")

    def deliver(self, row: dict[str, Any], response: PeerResponse) -> None:
        body = row["_body"]
        with self.lock:
            if row["isComplete"] or response.token != row["token"]:
                return
            passes = (
                len(response.files) + len(response.locked_files) >= body.get("minimumResponseFileCount", 1)
                and response.upload_speed >= body.get("minimumPeerUploadSpeed", 0)
                and response.queue_length < body.get("maximumPeerQueueLength", 1_000_000)
            )
            if body.get("filterResponses", True) and passes == ("search-filters-inverted" in self.faults):
                return
            row["_responses"].append(response.as_json())
            row["responseCount"] += 2 if "search-response-counted-twice" in self.faults else 1
            row["fileCount"] += len(response.files)
            row["lockedFileCount"] += len(response.locked_files)
            if "search-timeout-not-reset" not in self.faults:
                row["_last"] = time.monotonic()
            if row["responseCount"] >= body.get("responseLimit", 250):
                self.complete(row, "ResponseLimitReached")
            elif row["fileCount"] >= body.get("fileLimit", 25000):
                self.complete(row, "FileLimitReached")

    def handle(self, method: str, path: list[str], params: dict[str, Any], body: Any) -> tuple[int, Any]:
        with self.lock:
            if method == "POST":
                return self.create(body)
            if not path:
                return 200, [self.view(row, False) for row in self.rows.values()]
            row = self.rows.get(path[0])
            if row is None:
                return 404, None
            if method == "DELETE":
                del self.rows[path[0]]
                return 204, None
            if method == "PUT":
                if "search-cancel-ignored" not in self.faults:
                    self.complete(row, "Cancelled")
                return 200, None
            if path[1:] == ["responses"]:
                return 200, self.view(row, True)["responses"]
            return 200, self.view(row, params.get("includeResponses") == "true")


class _Session(requests.Session):
    """Answers the searches routes from `_Searches`, as an HTTP server would."""

    def __init__(self, service: _Searches) -> None:
        super().__init__()
        self.service = service

    def request(
        self, method: str, url: str, params: Any = None, json: Any = None, **_: Any
    ) -> requests.Response:  # type: ignore[override]
        prepared = requests.Request(method, url, params=params, json=json).prepare()
        path = [unquote(p) for p in urlsplit(url).path.split("/searches", 1)[1].split("/") if p]
        status, body = self.service.handle(method, path, params or {}, json)
        response = requests.Response()
        response.status_code, response.request, response.url = status, prepared, url
        response._content = b"" if body is None else jsonlib.dumps(body).encode()
        response.headers["Content-Type"] = "application/json; charset=utf-8"
        return response


def run(faults: frozenset[str] = frozenset(), seed: int = 0) -> tuple[list[str], dict[str, Any], float]:
    """The requirements the machine finds broken on the stand-in, its tallies, its seconds."""
    network = SimulatedNetwork(logged_in=True, echo_peers=(), sharing_peers=load(seed=seed))
    recorder = CaseRecorder(redact=lambda exchange: exchange.to_dict(), curl=lambda exchange: "")
    ctx = SuiteContext(
        session=_Session(_Searches(network, faults)),
        base_url="http://stand-in/api/v0",
        recorder=recorder,
        catalogue=load_catalogue(),
        version=None,
        can_write=True,
        writable_users=None,
        echo_peers=(),
        blacklisted=(),
        auth_enabled=False,
        network=NetworkHandle(simulated=network),
        consented=(CONSENT,),
    )
    settings = hypothesis.settings(
        stateful_settings(
            hypothesis.settings(
                max_examples=10,
                database=None,
                deadline=None,
                suppress_health_check=list(hypothesis.HealthCheck),
            )
        ),
        phases=[hypothesis.Phase.generate],
    )
    began = time.monotonic()
    try:
        found = find_defects(ctx, searches_machine, settings, seed)
    finally:
        network.close()
    return found, recorder.drain(), time.monotonic() - began


def test_the_faithful_stand_in_passes() -> None:
    found, tallies, seconds_taken = run()
    assert found == []
    judged = {r for r, tally in tallies.items() if tally.get("checks")}
    assert {Search.SEARCH_RESPONSES_EXACT, Search.SEARCH_COUNTS, Search.SEARCH_NETWORK_QUERY} <= judged
    assert seconds_taken < 20


@pytest.mark.parametrize(
    ("fault", "requirement"),
    [
        ("search-response-counted-twice", Search.SEARCH_COUNTS),
        # an eligible response missing is a loss (EXACT); a stored one the filters drop, FILTERED
        ("search-filters-inverted", Search.SEARCH_RESPONSES_EXACT),
        ("search-cancel-ignored", Search.SEARCH_CANCEL_STATE),
    ],
)
def test_faults_are_caught(fault: str, requirement: str) -> None:
    found, _, _ = run(frozenset({fault}))
    assert requirement in found

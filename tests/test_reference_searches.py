"""The reference server's Searches emulation: statuses, states, slots, filters, limits, the
timeout and its reset, late and misnumbered answers, the behaviours, and what each fault
changes. Peers come from a small library of this file (fast, with delays in tenths of a
second), so every search ends in well under two seconds.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from conformance.reference.faults import FAULTS
from conformance.reference.server import ReferenceOptions, ReferenceServer

LIBRARY = r"""
peers:
  - username: alpha
    folders:
      - path: 'Music\Alpha Band'
        files: ['Song One.mp3', 'Song Two.flac']
      - path: 'Private\Alpha Band'
        locked: true
        files: ['Song Secret.flac']
  - username: beta
    delay_s: 0.2
    folders: [{path: 'Music\Beta', files: ['Song Beta.mp3']}]
  - username: gamma
    delay_s: 0.5
    folders: [{path: 'Music\Gamma', files: ['Song Gamma.ogg']}]
  - username: latecomer
    delay_s: 1.3
    folders: [{path: 'Music\Tardy', files: ['Song Tardy.mp3']}]
  - username: busy
    queue_length: 5000
    folders: [{path: 'Music\Busy', files: ['Song Busy.mp3']}]
  - username: slowpoke
    upload_speed: 100
    free_slot: false
    folders: [{path: 'Music\Slow', files: ['Song Slow.mp3']}]
  - username: sparse
    behaviour: below-minimum
    folders: [{path: 'Music\Sparse', files: ['Song Sparse A.mp3', 'Song Sparse B.mp3']}]
  - username: misfiled
    behaviour: wrong-token
    folders: [{path: 'Music\Misfiled', files: ['Song Misfiled.mp3']}]
  - username: hoarder
    behaviour: nothing
    folders: [{path: 'Music\Hoard', files: ['Song Hoard.mp3']}]
  - username: crowd
    count: 6
    folders: [{path: 'Crowd\Chorus', files: ['Chorus A.mp3', 'Chorus B.mp3']}]
"""
# "song" at 400 ms: alpha, busy, slowpoke, sparse at once, beta at 0.2 s (timeout reset to 0.6),
# gamma at 0.5 s (reset to 0.9): ends TimedOut near 0.9 s; latecomer's 1.3 s answer is late,
# misfiled's wrong token and hoarder's silence never count.
SONG_ACCEPTED = ["alpha", "beta", "busy", "gamma", "slowpoke", "sparse"]

Serve = Callable[..., "Client"]


class Client:
    """The server under test and the calls a test makes on it."""

    def __init__(self, server: ReferenceServer) -> None:
        self.server = server
        self.http = requests.Session()
        self.url = f"{server.base_url}/searches"

    def post(self, **body: Any) -> requests.Response:
        return self.http.post(self.url, json=body)

    def create(self, text: str = "song", **body: Any) -> dict[str, Any]:
        reply = self.post(searchText=text, **body)
        assert reply.status_code == 200, reply.text
        return reply.json()

    def get(self, search_id: str, **params: str) -> requests.Response:
        return self.http.get(f"{self.url}/{search_id}", params=params)

    def state(self, search_id: str) -> str:
        return self.get(search_id).json()["state"]

    def wait(self, search_id: str, within: float = 5.0) -> dict[str, Any]:
        """The search once complete (polled every 20 ms)."""
        end = time.monotonic() + within
        while time.monotonic() < end:
            body = self.get(search_id).json()
            if body["isComplete"]:
                return body
            time.sleep(0.02)
        raise AssertionError(f"search {search_id} still {body['state']} after {within} s")

    def run(self, text: str = "song", **body: Any) -> dict[str, Any]:
        return self.wait(self.create(text, **body)["id"])

    def responses(self, search_id: str) -> list[dict[str, Any]]:
        reply = self.http.get(f"{self.url}/{search_id}/responses")
        assert reply.status_code == 200
        return reply.json()

    def names(self, search_id: str) -> list[str]:
        return sorted(r["username"] for r in self.responses(search_id))

    def put(self, search_id: str) -> int:
        return self.http.put(f"{self.url}/{search_id}").status_code

    def delete(self, search_id: str) -> int:
        return self.http.delete(f"{self.url}/{search_id}").status_code


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Serve]:
    library = tmp_path / "library.yaml"
    library.write_text(LIBRARY, encoding="utf-8")
    servers: list[ReferenceServer] = []

    def start(behaviour: str = "slskd", faults: frozenset[str] = frozenset(), **options: Any) -> Client:
        server = ReferenceServer(
            ReferenceOptions(behaviour=behaviour, faults=faults, peer_library=str(library), **options)
        ).start()
        servers.append(server)
        return Client(server)

    yield start
    for server in servers:
        server.stop()


# --- create ------------------------------------------------------------------------------------
def test_post_answers_the_new_search_running(serve: Serve) -> None:
    api = serve()
    body = api.create("song", searchTimeout=300)
    uuid.UUID(body["id"])
    assert body["searchText"] == "song"
    assert 0 <= body["token"] < 2**31
    assert body["state"] in ("Requested", "Queued", "InProgress")
    assert body["isComplete"] is False and "endedAt" not in body
    assert (body["responseCount"], body["fileCount"], body["lockedFileCount"]) == (0, 0, 0)
    assert body["responses"] == []


def test_post_honours_a_given_id_and_token_and_refuses_an_id_twice(serve: Serve) -> None:
    api = serve()
    given = str(uuid.uuid4())
    body = api.create("song", id=given, token=1234, searchTimeout=50)
    assert (body["id"], body["token"]) == (given, 1234)
    again = api.post(searchText="song", id=given)
    assert again.status_code == 500


@pytest.mark.parametrize(
    ("behaviour", "body"),
    [
        ("slskd", {"searchText": ""}),
        ("slskd", {"searchText": "   "}),
        ("slskd", {}),
        ("slskd", {"searchText": "a b -c"}),  # one-character terms only: nothing to search
        ("slskd", {"searchText": "song", "searchTimeout": 4}),  # milliseconds, at least 5
        ("documented", {"searchText": "song", "searchTimeout": 0}),  # seconds, at least 1
        ("slskd", {"searchText": "song", "responseLimit": -1}),
        ("slskd", {"searchText": "song", "minimumPeerUploadSpeed": "fast"}),
        ("slskd", {"searchText": "song", "token": -5}),
        ("slskd", {"searchText": "song", "id": "not-a-guid"}),
        ("slskd", {"searchText": 5}),
    ],
)
def test_post_refuses_what_cannot_be_searched_with_a_plain_string(
    serve: Serve, behaviour: str, body: dict[str, Any]
) -> None:
    api = serve(behaviour)
    reply = api.http.post(api.url, json=body)
    assert reply.status_code == 400
    assert reply.headers["Content-Type"].startswith("text/plain") and reply.text
    assert api.http.get(api.url).json() == []


def test_post_refuses_a_body_that_is_not_an_object(serve: Serve) -> None:
    api = serve()
    assert api.http.post(api.url, json=["song"]).status_code == 400


def test_post_when_logged_out_is_409_and_leaves_an_errored_row(serve: Serve) -> None:
    api = serve(logged_in=False)
    reply = api.post(searchText="song")
    assert reply.status_code == 409
    (row,) = api.http.get(api.url).json()
    assert row["state"] == "Completed, Errored" and row["isComplete"] is True
    assert row["endedAt"] == row["startedAt"]
    assert api.server.network_view() is not None and api.server.network_view().searches() == []


# --- a search's life ---------------------------------------------------------------------------
def test_a_search_times_out_holding_every_timely_eligible_response(serve: Serve) -> None:
    api = serve()
    began = time.time()
    done = api.run("song", searchTimeout=400)
    took = time.time() - began
    assert done["state"] == "Completed, TimedOut"
    assert 0.8 <= took <= 1.25  # gamma's answer at 0.5 s reset the 0.4 s timeout
    assert api.names(done["id"]) == SONG_ACCEPTED
    assert done["responseCount"] == 6 and done["fileCount"] == 2 + 5 and done["lockedFileCount"] == 1
    assert done["endedAt"] > done["startedAt"]
    time.sleep(1.5 - took)  # the latecomer answers at 1.3 s: too late
    assert api.names(done["id"]) == SONG_ACCEPTED
    (sent,) = api.server.network_view().searches()
    assert sent["query"] == "song" and sent["token"] == done["token"]
    senders = sorted(r["peer"] for r in sent["responses"])
    assert senders == sorted([*SONG_ACCEPTED, "latecomer", "misfiled"])
    wrong = next(r for r in sent["responses"] if r["peer"] == "misfiled")
    assert wrong["response"]["token"] != done["token"]


def test_responses_are_stored_as_the_peers_sent_them(serve: Serve) -> None:
    api = serve()
    done = api.run("alpha song", searchTimeout=100)
    (sent,) = api.server.network_view().searches()
    assert api.responses(done["id"]) == [r["response"] for r in sent["responses"]]
    included = api.get(done["id"], includeResponses="true").json()["responses"]
    assert included == api.responses(done["id"])
    assert api.get(done["id"]).json()["responses"] == []


def test_the_query_sent_drops_one_character_terms_and_puts_exclusions_last(serve: Serve) -> None:
    api = serve()
    api.run("-busy a song  x", searchTimeout=50)
    assert [s["query"] for s in api.server.network_view().searches()] == ["song -busy"]


@pytest.mark.parametrize(
    ("filters", "accepted"),
    [
        ({"minimumResponseFileCount": 2}, ["alpha"]),
        ({"maximumPeerQueueLength": 5000}, ["alpha", "slowpoke", "sparse"]),
        ({"minimumPeerUploadSpeed": 1000}, ["alpha", "busy", "sparse"]),
        ({"minimumResponseFileCount": 2, "filterResponses": False}, ["alpha", "busy", "slowpoke", "sparse"]),
    ],
)
def test_filters_drop_responses(serve: Serve, filters: dict[str, Any], accepted: list[str]) -> None:
    api = serve()
    done = api.run("song -beta -gamma", searchTimeout=150, **filters)
    assert api.names(done["id"]) == accepted
    assert done["responseCount"] == len(accepted)


def test_the_response_limit_ends_a_search(serve: Serve) -> None:
    api = serve()
    done = api.run("chorus", responseLimit=3, searchTimeout=2000)
    assert (done["state"], done["responseCount"], done["fileCount"]) == (
        "Completed, ResponseLimitReached",
        3,
        6,
    )
    assert len(api.responses(done["id"])) == 3


def test_the_file_limit_ends_a_search(serve: Serve) -> None:
    api = serve()
    done = api.run("chorus", fileLimit=5, searchTimeout=2000)
    assert (done["state"], done["responseCount"], done["fileCount"]) == ("Completed, FileLimitReached", 3, 6)


def test_at_most_two_searches_run_and_the_others_wait_queued(serve: Serve) -> None:
    api = serve()
    first, second, third = (api.create("alpha", searchTimeout=3000) for _ in range(3))
    assert [api.state(s["id"]) for s in (first, second, third)] == ["InProgress", "InProgress", "Queued"]
    assert third["state"] == "Queued"
    assert api.put(first["id"]) == 200
    assert api.state(first["id"]) == "Completed, Cancelled"
    assert api.state(third["id"]) == "InProgress"
    assert api.delete(second["id"]) == 204
    assert api.put(third["id"]) == 200


def test_a_queued_search_is_searched_only_when_it_starts(serve: Serve) -> None:
    api = serve()
    running = [api.create("alpha", searchTimeout=3000) for _ in range(2)]
    queued = api.create("song", searchTimeout=100)
    assert len(api.server.network_view().searches()) == 2
    api.put(running[0]["id"])
    assert api.wait(queued["id"])["state"] == "Completed, TimedOut"
    assert [s["query"] for s in api.server.network_view().searches()] == ["alpha", "alpha", "song"]


# --- cancel, delete, reads ---------------------------------------------------------------------
@pytest.mark.parametrize(("behaviour", "idle"), [("documented", 304), ("slskd", 200), ("intended", 304)])
def test_cancel_ends_a_running_search_and_answers_for_an_idle_one(
    serve: Serve, behaviour: str, idle: int
) -> None:
    api = serve(behaviour)
    search = api.create("alpha", searchTimeout=5 if behaviour == "documented" else 5000)
    assert api.put(search["id"]) == 200
    done = api.get(search["id"]).json()
    assert done["state"] == "Completed, Cancelled" and done["isComplete"] and "endedAt" in done
    assert api.put(search["id"]) == idle
    assert api.put(str(uuid.uuid4())) == 404


def test_delete_removes_a_search_and_unknown_ids_are_404(serve: Serve) -> None:
    api = serve()
    search = api.create("alpha", searchTimeout=5000)
    assert api.delete(search["id"]) == 204
    assert api.get(search["id"]).status_code == 404
    assert api.delete(search["id"]) == 404
    assert api.get("not-a-guid").status_code == 404
    assert api.http.get(f"{api.url}/{uuid.uuid4()}/responses").status_code == 404
    assert api.http.get(api.url).json() == []


def test_the_list_has_every_search_without_responses(serve: Serve) -> None:
    api = serve()
    ids = [api.run("alpha", searchTimeout=50)["id"], api.create("alpha", searchTimeout=5000)["id"]]
    listed = api.http.get(api.url).json()
    assert [s["id"] for s in listed] == ids
    assert all(s["responses"] == [] for s in listed)
    assert listed[0]["responseCount"] == 1


@pytest.mark.parametrize(
    ("behaviour", "visible"), [("documented", True), ("slskd", False), ("intended", False)]
)
def test_responses_while_running(serve: Serve, behaviour: str, visible: bool) -> None:
    api = serve(behaviour)
    search = api.create("alpha", searchTimeout=1 if behaviour == "documented" else 1000)
    time.sleep(0.2)
    running = api.get(search["id"], includeResponses="true").json()
    assert running["state"] == "InProgress" and running["responseCount"] == 1
    assert bool(running["responses"]) is visible
    assert bool(api.responses(search["id"])) is visible
    api.put(search["id"])
    assert api.names(search["id"]) == ["alpha"]


def test_the_documented_timeout_is_in_seconds(serve: Serve) -> None:
    api = serve("documented")
    began = time.time()
    done = api.run("hoard", searchTimeout=1)
    assert done["state"] == "Completed, TimedOut" and 0.95 <= time.time() - began <= 1.5


def test_the_network_view_lists_the_sharing_peers(serve: Serve) -> None:
    api = serve()
    peers = {p["username"]: p for p in api.server.network_view().peers()}
    assert peers["latecomer"]["delayS"] == 1.3 and peers["misfiled"]["behaviour"] == "wrong-token"
    assert peers["echo-peer"]["kind"] == "echo"
    assert len(peers["alpha"]["shares"]) == 3


# --- faults: each one changes what a client sees -----------------------------------------------
def _final_state(api: Client) -> Any:
    return api.run("alpha", searchTimeout=50)["state"]


def _song_names(api: Client, **body: Any) -> Any:
    return api.names(api.run("song", searchTimeout=400, **body)["id"])


def _counts(api: Client) -> Any:
    done = api.run("alpha song", searchTimeout=50)
    return done["responseCount"], done["fileCount"], done["lockedFileCount"]


def _stays_running(api: Client) -> Any:
    search = api.create("alpha", searchTimeout=50)
    time.sleep(0.3)
    return api.state(search["id"])


def _lost(api: Client) -> Any:
    done = api.run("song -beta -gamma", searchTimeout=150)
    return done["responseCount"], api.names(done["id"])


def _late(api: Client) -> Any:
    done = api.run("tardy", searchTimeout=100)
    time.sleep(1.4)
    return api.names(done["id"]), api.get(done["id"]).json()["responseCount"]


def _ids(api: Client) -> Any:
    return len({api.run("alpha", searchTimeout=20)["id"] for _ in range(2)})


def _cancelled(api: Client) -> Any:
    search = api.create("alpha", searchTimeout=5000)
    status = api.put(search["id"])
    state = api.state(search["id"])
    api.delete(search["id"])
    return status, state


def _limit(api: Client, **limit: int) -> Any:
    done = api.run("chorus", searchTimeout=150, **limit)
    return done["state"]


def _deleted(api: Client) -> Any:
    search = api.create("alpha", searchTimeout=5000)
    return api.delete(search["id"]), api.get(search["id"]).status_code


def _listed(api: Client) -> Any:
    api.run("alpha", searchTimeout=20)
    return [len(s["responses"]) for s in api.http.get(api.url).json()]


def _included(api: Client) -> Any:
    done = api.run("alpha", searchTimeout=20)
    return len(api.get(done["id"], includeResponses="true").json()["responses"])


def _third(api: Client) -> Any:
    states = [api.create("alpha", searchTimeout=3000)["state"] for _ in range(3)]
    for search in api.http.get(api.url).json():
        api.put(search["id"])
    return states


def _logged_out(api: Client) -> Any:
    api.server.logged_in = False
    status = api.post(searchText="song").status_code
    return status, [s["state"] for s in api.http.get(api.url).json()]


def _single(api: Client) -> Any:
    status = api.post(searchText="a b").status_code
    api.run("song x", searchTimeout=20)
    return status, [s["query"] for s in api.server.network_view().searches()]


def _files(api: Client) -> Any:
    done = api.run("alpha", searchTimeout=20)
    keys = ("filename", "bitRate", "length", "sampleRate", "bitDepth")
    return [
        [file.get(key) for key in keys]
        for response in api.responses(done["id"])
        for file in response["files"] + response["lockedFiles"]
    ]


def _regress(api: Client) -> Any:
    search = api.create("alpha", searchTimeout=3000)
    shown = [api.state(search["id"]) for _ in range(2)]
    api.put(search["id"])
    return shown


def _text(api: Client) -> Any:
    return api.create("  alpha ", searchTimeout=20)["searchText"]


EFFECTS: dict[str, Callable[[Client], Any]] = {
    "search-state-lowercase": _final_state,
    "search-state-separator": _final_state,
    "search-never-completes": _stays_running,
    "search-timeout-not-reset": _song_names,
    "search-response-lost": _lost,
    "search-response-duplicated": lambda api: api.names(api.run("alpha", searchTimeout=20)["id"]),
    "search-response-counted-twice": _counts,
    "search-locked-in-filecount": _counts,
    "search-filters-ignored": lambda api: _song_names(api, minimumResponseFileCount=2),
    "search-filters-inverted": lambda api: _song_names(api, minimumResponseFileCount=2),
    "search-min-files-ignored": lambda api: _song_names(api, minimumResponseFileCount=2),
    "search-late-response-accepted": _late,
    "search-wrong-token-accepted": lambda api: api.names(api.run("misfiled", searchTimeout=100)["id"]),
    "search-ids-reused": _ids,
    "search-cancel-ignored": _cancelled,
    "search-cancel-timedout": _cancelled,
    "search-limit-ignored": lambda api: _limit(api, responseLimit=2),
    "search-file-limit-ignored": lambda api: _limit(api, fileLimit=3),
    "search-delete-keeps": _deleted,
    "search-delete-unknown-204": lambda api: api.delete(str(uuid.uuid4())),
    "search-get-unknown-200": lambda api: api.get(str(uuid.uuid4())).status_code,
    "search-list-includes-responses": _listed,
    "search-include-responses-ignored": _included,
    "search-concurrency-unbounded": _third,
    "search-logged-out-200": _logged_out,
    "search-logged-out-no-row": _logged_out,
    "search-single-char-kept": _single,
    "search-filename-slashes": _files,
    "search-attributes-swapped": _files,
    "search-state-regresses": _regress,
    "search-text-trimmed": _text,
}


def test_every_searches_fault_has_an_effect_shown_here() -> None:
    assert set(EFFECTS) == {fault for fault in FAULTS if fault.startswith("search-")}


@pytest.mark.parametrize("fault", sorted(EFFECTS))
def test_the_fault_changes_what_a_client_observes(serve: Serve, fault: str) -> None:
    observe = EFFECTS[fault]
    faithful = observe(serve())
    faulty = observe(serve(faults=frozenset({fault})))
    assert faulty != faithful, f"{fault}: both showed {faithful!r}"

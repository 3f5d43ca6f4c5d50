"""The reference server's Transfers emulation: the statuses of its twelve operations in each
behaviour, the state paths a download takes with each upload behaviour of the library's peers
(queued, at once, refused, denied, failed, dropped and resumed, resized, silent, offline), the
bytes and offsets, grouping and removal, and the network's TransferLog agreeing with what the
emulation reports. The API is not among the built-in ones yet, so each server here installs it
beside them. Reads poll; nothing sleeps beyond the simulated peers' own delays.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import requests

import conformance.reference.app as reference_app
from conformance.apis import installed
from conformance.apis.transfers import API as TRANSFERS
from conformance.apis.transfers.emulation import TransfersApi
from conformance.apis.transfers.ids import Transfer
from conformance.peers.library import SharedFile, SharingPeer, load
from conformance.peers.uploads import content, sha256
from conformance.reference.network import RESPONSE_TIMEOUT_S, SoulseekError, SoulseekNetwork
from conformance.reference.server import ReferenceServer
from conformance.requirements.catalogue import Level, load_catalogue
from tests.servers.reference import serve

SPEC = json.loads((Path(__file__).resolve().parents[1] / "specs" / "slskd-api.openapi.json").read_text())
PEERS = {peer.username: peer for peer in load()}
STATES = {
    "Queued, Locally",
    "Requested",
    "Queued, Remotely",
    "Initializing",
    "InProgress",
    *(f"Completed, {r}" for r in ("Succeeded", "Rejected", "Aborted", "Errored", "TimedOut", "Cancelled")),
}
ORDER = ["Queued, Locally", "Requested", "Queued, Remotely", "Initializing", "InProgress", "Completed"]


def small(username: str) -> SharedFile:
    """The peer's first file of a transfers folder (small: at most 64 KiB)."""
    return next(f for f in PEERS[username].files if "Transfers" in f.filename or "Uploads" in f.filename)


@pytest.fixture(autouse=True)
def with_transfers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Servers started in these tests serve the Transfers API beside the built-in ones."""
    monkeypatch.setattr(reference_app, "installed", lambda: (*installed(), TRANSFERS))


def emulation(server: ReferenceServer) -> TransfersApi:
    assert server.app is not None
    return server.app.operations["get_download"].handler.__self__  # type: ignore[attr-defined]


def enqueue(
    server: ReferenceServer, username: str, *files: SharedFile, sized: bool = True
) -> requests.Response:
    body = [{"filename": f.filename, "size": f.size if sized else 0} for f in files]
    return requests.post(f"{server.base_url}/transfers/downloads/{username}", json=body, timeout=10)


def get(server: ReferenceServer, username: str, transfer_id: str) -> dict[str, Any]:
    response = requests.get(f"{server.base_url}/transfers/downloads/{username}/{transfer_id}", timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def follow(
    server: ReferenceServer, username: str, transfer_id: str, until: Callable[[dict], bool] | None = None
) -> tuple[dict[str, Any], list[str]]:
    """Poll until the download completes (or `until` holds): its last shape and the states seen."""
    seen: list[str] = []
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        body = get(server, username, transfer_id)
        if not seen or seen[-1] != body["state"]:
            seen.append(body["state"])
        done = until(body) if until else body["state"].startswith("Completed") and "nextAttemptAt" not in body
        if done:
            return body, seen
        time.sleep(0.005)
    raise AssertionError(f"{transfer_id} never got there: {seen}")


def download(server: ReferenceServer, username: str, file: SharedFile, **kw: Any) -> tuple[dict, list[str]]:
    response = enqueue(server, username, file, **kw)
    assert response.status_code == 201, response.text
    transfer = response.json()["enqueued"][0]
    settle = time.monotonic() + 15
    body, seen = follow(server, username, transfer["id"])
    while body["attempts"] < 3 and body["state"] in ("Completed, Errored", "Completed, TimedOut"):
        assert time.monotonic() < settle, seen
        more, later = follow(server, username, transfer["id"])  # a retry may be about to start
        body, seen = more, seen + [s for s in later if s != seen[-1]]
    return body, seen


def forward(states: list[str]) -> bool:
    """Whether the states move only forward (a retry starts again at Queued, Locally)."""
    ranks = [ORDER.index(s.split(",")[0] if s.startswith("Completed") else s) for s in states]
    runs: list[list[int]] = [[]]
    for rank in ranks:
        if rank == 0 and runs[-1]:
            runs.append([])
        runs[-1].append(rank)
    return all(run == sorted(run) for run in runs)


def log_of(server: ReferenceServer, peer: str) -> list[dict[str, Any]]:
    assert server.app is not None
    log = server.app.network.transfer_log()
    assert log is not None
    return log.as_json(peer)


# --- the catalogue ----------------------------------------------------------------------------
def test_the_ids_are_the_catalogue_and_every_operation_is_documented() -> None:
    catalogue = load_catalogue(TRANSFERS.file(TRANSFERS.catalogue))
    assert set(catalogue) == {str(i) for i in Transfer}
    assert {r.tag for r in catalogue.values()} == {"Transfers"}
    operations = {op for r in catalogue.values() for op in r.operations}
    assert len(operations) == 12 and all(op.split()[1].startswith("/transfers/") for op in operations)
    assert all(r.id.startswith("DOCGAP-") == (r.level == Level.INFO) for r in catalogue.values())


# --- the queued and immediate paths ------------------------------------------------------------
def test_a_queued_download_goes_the_whole_path_and_arrives_byte_for_byte(server: ReferenceServer) -> None:
    file = small("sharing-peer")
    response = enqueue(server, "sharing-peer", file)
    assert response.status_code == 201
    body = response.json()
    assert body["failed"] == []
    (first,) = body["enqueued"]
    assert first["state"] == "Queued, Locally" and first["attempts"] == 1 and first["bytesTransferred"] == 0
    assert (first["filename"], first["size"], first["direction"]) == (file.filename, file.size, "Download")
    done, seen = follow(server, "sharing-peer", first["id"])
    assert done["state"] == "Completed, Succeeded", seen
    assert forward(seen) and {"Queued, Remotely", "Completed, Succeeded"} <= set(seen)
    assert set(seen) <= STATES
    assert (done["bytesTransferred"], done["bytesRemaining"], done["percentComplete"]) == (
        file.size,
        0,
        100.0,
    )
    assert done["placeInQueue"] == PEERS["sharing-peer"].place
    assert "enqueuedAt" in done and "endedAt" in done and done["attempts"] == 1
    received = bytes(emulation(server).downloads[first["id"]].data)
    assert received == content(0, "sharing-peer", file)
    (entry,) = log_of(server, "sharing-peer")
    assert (entry["answer"], entry["reason"], entry["place"], entry["offset"]) == ("queued", "Queued", 1, 0)
    assert entry["complete"] and entry["bytes_sent"] == file.size
    assert entry["sha256"] == sha256(0, "sharing-peer", file) == hashlib.sha256(received).hexdigest()
    assert entry["downloader"] == server.app.network.username  # type: ignore[union-attr]
    if server.options.behaviour == "documented":  # the docs' names show the network's tokens
        assert (done["token"], done["remoteToken"]) == (entry["token"], entry["upload_token"])


def test_an_immediate_download_skips_the_queue(documented: ReferenceServer) -> None:
    file = small("instant-peer")
    done, seen = download(documented, "instant-peer", file)
    assert done["state"] == "Completed, Succeeded" and forward(seen)
    assert "placeInQueue" not in done
    (entry,) = log_of(documented, "instant-peer")
    assert (entry["answer"], entry["announced_size"], entry["complete"]) == ("allowed", file.size, True)
    assert entry["sha256"] == sha256(0, "instant-peer", file)


# --- the failure paths ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("peer", "state", "exception"),
    [
        ("refusing-peer", "Completed, Rejected", "File not shared."),
        ("denying-peer", "Completed, Rejected", "Banned"),
    ],
)
def test_a_refused_or_denied_download_is_rejected_and_not_retried(
    documented: ReferenceServer, peer: str, state: str, exception: str
) -> None:
    done, seen = download(documented, peer, small(peer))
    assert (done["state"], done["exception"], done["attempts"]) == (state, exception, 1), seen
    assert len(log_of(documented, peer)) == 1


def test_a_file_the_peer_does_not_share_is_rejected(documented: ReferenceServer) -> None:
    ghost = SharedFile("Music\\Nobody\\Not Here.flac", 10)
    done, _ = download(documented, "sharing-peer", ghost)
    assert (done["state"], done["exception"]) == ("Completed, Rejected", "File not shared.")
    (entry,) = log_of(documented, "sharing-peer")
    assert (entry["answer"], entry["reason"], entry["size"]) == ("refused", "File not shared.", None)


def test_a_failing_peer_is_retried_up_to_three_attempts(slskd: ReferenceServer) -> None:
    done, seen = download(slskd, "failing-peer", small("failing-peer"))
    assert (done["state"], done["attempts"]) == ("Completed, Errored", 3), seen
    assert "Queued, Locally" in seen[1:] and forward(seen), seen
    entries = log_of(slskd, "failing-peer")
    assert len(entries) == 3 and all(e["failed"] for e in entries)


def test_a_dropped_download_is_resumed_from_the_bytes_that_arrived(server: ReferenceServer) -> None:
    file = small("dropping-peer")
    done, seen = download(server, "dropping-peer", file)
    assert (done["state"], done["attempts"]) == ("Completed, Succeeded", 2), seen
    first, second = log_of(server, "dropping-peer")
    assert (first["offset"], first["complete"], first["bytes_sent"]) == (0, False, file.size // 2)
    assert (second["offset"], second["complete"]) == (file.size // 2, True)
    assert done["bytesTransferred"] == file.size and done["startOffset"] == file.size // 2
    assert bytes(emulation(server).downloads[done["id"]].data) == content(0, "dropping-peer", file)


def test_a_resizing_peer_aborts_a_download_of_known_size(documented: ReferenceServer) -> None:
    file = small("resizing-peer")
    done, _ = download(documented, "resizing-peer", file)
    assert (done["state"], done["attempts"]) == ("Completed, Aborted", 1)
    (entry,) = log_of(documented, "resizing-peer")
    assert entry["announced_size"] == file.size + 1 and entry["bytes_sent"] == 0


def test_a_silent_peer_times_out_and_is_retried(documented: ReferenceServer) -> None:
    started = time.monotonic()
    done, seen = download(documented, "silent-peer", small("silent-peer"))
    assert (done["state"], done["attempts"]) == ("Completed, TimedOut", 3), seen
    assert time.monotonic() - started >= 3 * RESPONSE_TIMEOUT_S
    assert [e["answer"] for e in log_of(documented, "silent-peer")] == ["none"] * 3


@pytest.mark.parametrize("username", ["offline-peer", "nobody-at-all"])
def test_an_offline_or_unknown_user_is_500_and_nothing_is_stored(
    server: ReferenceServer, username: str
) -> None:
    response = enqueue(server, username, small("offline-peer"))
    assert response.status_code == 500 and "offline" in response.json()
    assert requests.get(f"{server.base_url}/transfers/downloads", timeout=10).json() == []
    assert log_of(server, "offline-peer") == []


def test_not_logged_in_is_500(documented: ReferenceServer) -> None:
    documented.logged_in = False
    response = enqueue(documented, "sharing-peer", small("sharing-peer"))
    assert response.status_code == 500 and "logged in" in response.json()


# --- enqueue's refusals ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "body",
    [[], None, [None], [{"filename": "Music\\..\\secret.txt", "size": 1}], {"filename": "a"}, [{"size": 3}]],
)
def test_a_bad_enqueue_body_is_400_and_stores_nothing(server: ReferenceServer, body: Any) -> None:
    response = requests.post(
        f"{server.base_url}/transfers/downloads/sharing-peer",
        data=json.dumps(body),
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 400
    assert requests.get(f"{server.base_url}/transfers/downloads", timeout=10).json() == []


def test_a_duplicated_file_is_500_and_a_file_in_progress_is_skipped(documented: ReferenceServer) -> None:
    file = small("sharing-peer")
    assert enqueue(documented, "sharing-peer", file, file).status_code == 500
    first = enqueue(documented, "sharing-peer", file).json()["enqueued"][0]
    again = enqueue(documented, "sharing-peer", file)
    assert again.status_code == 201
    assert again.json() == {
        "enqueued": [],
        "failed": [{"filename": file.filename, "message": "Skipped: Already in progress"}],
    }
    follow(documented, "sharing-peer", first["id"])
    assert enqueue(documented, "sharing-peer", file).json()["failed"] == []  # completed: enqueued anew


def test_a_third_enqueue_in_flight_is_429(documented: ReferenceServer) -> None:
    files = [f for f in PEERS["sharing-peer"].files if "Transfers" in f.filename]
    statuses: list[int] = []
    gate = threading.Barrier(6)

    def post(file: SharedFile) -> None:
        gate.wait()
        statuses.append(enqueue(documented, "sharing-peer", file).status_code)

    threads = [threading.Thread(target=post, args=(files[n % len(files)],)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert 429 in statuses and set(statuses) <= {201, 429}
    assert statuses.count(201) >= 2


# --- lists, grouping and removal -----------------------------------------------------------------
def test_the_lists_group_by_user_and_remote_directory(documented: ReferenceServer) -> None:
    files = [f for f in PEERS["sharing-peer"].files if "Transfers" in f.filename][:2]
    assert enqueue(documented, "sharing-peer", *files).status_code == 201
    assert enqueue(documented, "instant-peer", small("instant-peer")).status_code == 201
    listed = requests.get(f"{documented.base_url}/transfers/downloads", timeout=10).json()
    assert [u["username"] for u in listed] == ["sharing-peer", "instant-peer"]
    (folder,) = listed[0]["directories"]
    assert folder["directory"] == files[0].filename.rsplit("\\", 1)[0]
    assert folder["fileCount"] == 2 and [f["filename"] for f in folder["files"]] == [
        f.filename for f in files
    ]
    user = requests.get(f"{documented.base_url}/transfers/downloads/sharing-peer", timeout=10).json()
    assert user == {**listed[0], "directories": user["directories"]} and user["username"] == "sharing-peer"


def removal(server: ReferenceServer) -> tuple[str, requests.Response]:
    file = small("instant-peer")
    done, _ = download(server, "instant-peer", file)
    gone = requests.delete(
        f"{server.base_url}/transfers/downloads/instant-peer/{done['id']}",
        params={"remove": "true"},
        timeout=10,
    )
    return done["id"], gone


def test_removing_a_completed_download_hides_it_unless_asked(server: ReferenceServer) -> None:
    transfer_id, gone = removal(server)
    assert gone.status_code == 204 and gone.content == b""
    base = f"{server.base_url}/transfers/downloads"
    assert requests.get(base, timeout=10).json() == []
    (user,) = requests.get(base, params={"includeRemoved": "true"}, timeout=10).json()
    assert user["directories"][0]["files"][0]["removed"] is True
    per_user = requests.get(f"{base}/instant-peer", timeout=10)
    if server.options.behaviour == "documented":
        assert (per_user.status_code, per_user.json()["directories"]) == (200, [])
    else:
        assert per_user.status_code == 404
    assert get(server, "instant-peer", transfer_id)["removed"] is True


def test_cancelling_a_running_download_ends_it_cancelled(server: ReferenceServer) -> None:
    created = enqueue(server, "silent-peer", small("silent-peer")).json()["enqueued"][0]
    follow(server, "silent-peer", created["id"], until=lambda b: b["state"] == "Requested")
    url = f"{server.base_url}/transfers/downloads/silent-peer/{created['id']}"
    assert requests.delete(url, params={"remove": "true"}, timeout=10).status_code == 204
    body = get(server, "silent-peer", created["id"])
    assert (body["state"], body["attempts"]) == ("Completed, Cancelled", 1)
    assert body["removed"] is (server.options.behaviour == "documented")
    time.sleep(RESPONSE_TIMEOUT_S + 0.2)  # the peer's timeout passes: no retry follows a cancel
    assert get(server, "silent-peer", created["id"])["state"] == "Completed, Cancelled"


def test_remove_all_completed_leaves_the_running(documented: ReferenceServer) -> None:
    done, _ = download(documented, "instant-peer", small("instant-peer"))
    running = enqueue(documented, "silent-peer", small("silent-peer")).json()["enqueued"][0]
    assert (
        requests.delete(f"{documented.base_url}/transfers/downloads/all/completed", timeout=10).status_code
        == 204
    )
    listed = requests.get(f"{documented.base_url}/transfers/downloads", timeout=10).json()
    assert [u["username"] for u in listed] == ["silent-peer"]
    assert get(documented, "instant-peer", done["id"])["removed"] is True
    assert get(documented, "silent-peer", running["id"])["removed"] is False


# --- unknown ids, the route's username, position --------------------------------------------------
def test_unknown_ids_answer_as_each_behaviour_says(server: ReferenceServer) -> None:
    base, behaviour = f"{server.base_url}/transfers/downloads/sharing-peer", server.options.behaviour
    unknown = str(uuid.uuid4())
    assert requests.get(f"{base}/{unknown}", timeout=10).status_code == 404
    assert requests.get(f"{base}/{unknown}/position", timeout=10).status_code == 404
    expected_delete = 204 if behaviour == "slskd" else 404
    assert requests.delete(f"{base}/{unknown}", timeout=10).status_code == expected_delete
    bad_guid = 404 if behaviour == "documented" else 400
    assert requests.get(f"{base}/not-a-guid", timeout=10).status_code == bad_guid
    assert (
        requests.get(f"{server.base_url}/transfers/downloads/all/completed", timeout=10).status_code
        == bad_guid
    )
    user = requests.get(base, timeout=10)
    assert user.status_code == (200 if behaviour == "documented" else 404)


def test_get_by_id_under_another_username(server: ReferenceServer) -> None:
    created = enqueue(server, "sharing-peer", small("sharing-peer")).json()["enqueued"][0]
    other = requests.get(f"{server.base_url}/transfers/downloads/someone-else/{created['id']}", timeout=10)
    if server.options.behaviour == "documented":
        assert other.status_code == 404
    else:
        assert (other.status_code, other.json()["username"]) == (200, "sharing-peer")


def test_position_asks_the_peer(server: ReferenceServer) -> None:
    created = enqueue(server, "sharing-peer", small("sharing-peer")).json()["enqueued"][0]
    response = requests.get(
        f"{server.base_url}/transfers/downloads/sharing-peer/{created['id']}/position", timeout=10
    )
    assert response.status_code == 200
    place = PEERS["sharing-peer"].place
    if server.options.behaviour == "documented":
        assert response.json()["placeInQueue"] == place and response.json()["id"] == created["id"]
    else:
        assert response.json() == place


def test_position_of_a_silent_peer_is_500(slskd: ReferenceServer) -> None:
    created = enqueue(slskd, "silent-peer", small("silent-peer")).json()["enqueued"][0]
    response = requests.get(
        f"{slskd.base_url}/transfers/downloads/silent-peer/{created['id']}/position", timeout=10
    )
    assert response.status_code == 500


def test_the_documented_transfer_carries_the_documented_names(
    documented: ReferenceServer, slskd: ReferenceServer
) -> None:
    shapes = []
    for server in (documented, slskd):
        done, _ = download(server, "instant-peer", small("instant-peer"))
        shapes.append(done)
    ours, theirs = shapes
    assert {"startTime", "endTime", "token", "startOffset"} <= set(ours)
    assert not {"startTime", "endTime", "token"} & set(theirs)
    assert ours["startTime"] == ours["startedAt"] and ours["endTime"] == ours["endedAt"]


# --- uploads ---------------------------------------------------------------------------------------
def test_uploads_are_empty(server: ReferenceServer) -> None:
    base, behaviour = f"{server.base_url}/transfers/uploads", server.options.behaviour
    assert requests.get(base, timeout=10).json() == []
    assert requests.get(base, params={"includeRemoved": "true"}, timeout=10).json() == []
    assert requests.get(f"{base}/alice", timeout=10).status_code == (
        200 if behaviour == "documented" else 404
    )
    assert requests.get(f"{base}/alice/{uuid.uuid4()}", timeout=10).status_code == 404
    assert requests.delete(f"{base}/alice/{uuid.uuid4()}", timeout=10).status_code == (
        204 if behaviour == "slskd" else 404
    )
    assert requests.delete(f"{base}/all/completed", timeout=10).status_code == 204


def test_the_peers_behaviours_come_from_the_library() -> None:
    kinds = {str(peer.upload) for peer in PEERS.values()}
    assert {"queues", "at-once", "refuses", "denies", "fails", "drops", "resizes", "silent"} <= kinds
    assert not PEERS["offline-peer"].online and isinstance(PEERS["sharing-peer"], SharingPeer)


def test_the_peer_seed_decides_the_bytes() -> None:
    with serve("documented", peer_seed=7) as seeded:
        peer = {p.username: p for p in load(seed=7)}["instant-peer"]
        file = next(f for f in peer.files if "Uploads" in f.filename)
        done, _ = download(seeded, "instant-peer", file)
        assert done["state"] == "Completed, Succeeded" and done["size"] == file.size
        received = bytes(emulation(seeded).downloads[done["id"]].data)
        assert received == content(7, "instant-peer", file) != content(0, "instant-peer", file)
        assert log_of(seeded, "instant-peer")[0]["sha256"] == sha256(7, "instant-peer", file)


def test_a_network_that_does_not_download_answers_500() -> None:
    with pytest.raises(SoulseekError, match="does not download"):
        SoulseekNetwork().connect("sharing-peer")


def test_every_transfer_shape_is_the_spec_s_transfer(server: ReferenceServer) -> None:
    """In each behaviour, a Transfer in the states the peers lead it to fits the spec's schema (its
    properties' types); slskd's own names are extra properties, which the schema allows."""
    schema = {**SPEC["components"]["schemas"]["Transfer"], "components": SPEC["components"]}
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    bodies = [
        download(server, peer, small(peer))[0] for peer in ("instant-peer", "refusing-peer", "resizing-peer")
    ]
    bodies.append(enqueue(server, "sharing-peer", small("sharing-peer")).json()["enqueued"][0])
    for body in bodies:
        errors = [e.message for e in validator.iter_errors(body)]
        assert errors == [], (body["state"], errors)
    assert list(validator.iter_errors({**bodies[0], "size": "12"})), "the schema does check types"

"""The Users model judges a browse, a folder's contents, a user info, a status, an endpoint and a
browse's progress against what the peer shares and is: the right answer passes in every reading
the docs and slskd allow, and each way of getting it wrong breaks the requirement it should."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from conformance.apis.users.ids import User
from conformance.apis.users.model import (
    judge_browse,
    judge_endpoint,
    judge_folder,
    judge_info,
    judge_progress,
    judge_status,
)
from conformance.apis.users.oracle import peer_from_json
from conformance.peers import browsing
from conformance.peers.library import SEPARATOR, Presence, load
from conformance.reference.network import SimulatedNetwork

PEERS = {peer.username: peer for peer in load(seed=7)}
SHARING = PEERS["sharing-peer"]
SHARES = browsing.shares(SHARING)


def slskd_browse(shares: browsing.Shares = SHARES) -> dict[str, Any]:
    opened = [d.as_json() for d in shares.directories]
    locked = [d.as_json() for d in shares.locked_directories]
    return {
        "directories": opened,
        "directoryCount": len(opened),
        "lockedDirectories": locked,
        "lockedDirectoryCount": len(locked),
    }


def documented_browse(shares: browsing.Shares = SHARES) -> list[dict[str, Any]]:
    return [d.as_json() for d in (*shares.directories, *shares.locked_directories)]


def broken(judgement: dict[str, list[str]]) -> set[str]:
    return {requirement for requirement, problems in judgement.items() if problems}


def test_the_library_has_what_the_model_is_tested_on() -> None:
    """Unicode, spaces, brackets and a locked folder: names a loose comparison would get wrong."""
    names = [d.name for d in SHARES.directories]
    assert any(not name.isascii() for name in names) and SHARES.locked_directories
    assert all(SEPARATOR in name for name in names)
    assert all(SEPARATOR not in f.filename for d in SHARES.directories for f in d.files)


@pytest.mark.parametrize(("body", "reading"), [(slskd_browse(), "object"), (documented_browse(), "list")])
def test_a_faithful_browse_passes_in_either_reading(body: Any, reading: str) -> None:
    taken, judgement = judge_browse(body, SHARES)
    assert taken == reading
    assert broken(judgement) == set()


def test_an_empty_share_is_an_empty_browse() -> None:
    empty = browsing.shares(PEERS["empty-peer"])
    assert broken(judge_browse(slskd_browse(empty), empty)[1]) == set()
    assert broken(judge_browse([], empty)[1]) == set()
    assert broken(judge_browse(slskd_browse(SHARES), empty)[1]) == {
        User.USER_BROWSE_200,
        User.USER_BROWSE_LOCKED,
    }


def test_a_lost_file_a_wrong_size_or_attribute_breaks_the_browse() -> None:
    for change in (
        lambda b: b["directories"][0]["files"].pop(),
        lambda b: b["directories"][0]["files"][0].update(size=b["directories"][0]["files"][0]["size"] + 1),
        lambda b: b["directories"][0]["files"][0]["attributes"].reverse(),
        lambda b: b["directories"][1].update(fileCount=b["directories"][1]["fileCount"] + 1),
        lambda b: b.update(directoryCount=0),
        lambda b: b["directories"].reverse(),
    ):
        body = slskd_browse()
        change(body)
        assert broken(judge_browse(body, SHARES)[1]) == {User.USER_BROWSE_200}, body


def test_locked_directories_dropped_break_the_locked_requirement_only() -> None:
    body = slskd_browse() | {"lockedDirectories": [], "lockedDirectoryCount": 0}
    assert broken(judge_browse(body, SHARES)[1]) == {User.USER_BROWSE_LOCKED}
    listed = documented_browse()[: len(SHARES.directories)]
    assert broken(judge_browse(listed, SHARES)[1]) == {User.USER_BROWSE_LOCKED}


def test_full_paths_where_the_peer_wrote_bare_names_break_the_naming_of_files() -> None:
    body = slskd_browse()
    for directory in body["directories"]:
        for file in directory["files"]:
            file["filename"] = f"{directory['name']}{SEPARATOR}{file['filename']}"
    assert broken(judge_browse(body, SHARES)[1]) == {User.USER_FILE_NAMES}


def test_a_directory_named_by_its_last_segment_breaks_the_browse() -> None:
    body = slskd_browse()
    body["directories"][0]["name"] = body["directories"][0]["name"].rsplit(SEPARATOR, 1)[-1]
    assert broken(judge_browse(body, SHARES)[1]) == {User.USER_BROWSE_200}


def test_neither_shape_is_named() -> None:
    reading, judgement = judge_browse({"files": []}, SHARES)
    assert reading is None and broken(judgement) == {User.USER_BROWSE_200}


@pytest.mark.parametrize("shape", ["list", "object"])
def test_a_folder_answers_exactly_that_folder(shape: str) -> None:
    folder = SHARES.directories[1]
    body: Any = [folder.as_json()] if shape == "list" else folder.as_json()
    reading, judgement = judge_folder(body, (folder,))
    assert reading == shape and broken(judgement) == set()
    other = SHARES.directories[0].as_json()
    assert broken(judge_folder([other], (folder,))[1]) == {User.USER_DIRECTORY_200}
    assert broken(judge_folder([], (folder,))[1]) == {User.USER_DIRECTORY_200}


def test_a_folder_the_peer_does_not_share_openly_answers_no_directory() -> None:
    locked = SHARES.locked_directories[0]
    assert browsing.folder_contents(SHARING, locked.name) == ()
    assert broken(judge_folder([], ())[1]) == set()
    assert broken(judge_folder([SHARES.directories[0].as_json()], ())[1]) == {User.USER_DIRECTORY_MISSING}


def test_the_info_is_the_peers_profile_picture_included() -> None:
    info = browsing.info(SHARING)
    assert judge_info(info.as_json(), info) == []
    assert judge_info(info.as_json() | {"hasPicture": False}, info)
    without = {k: v for k, v in info.as_json().items() if k != "picture"}
    assert judge_info(without, info)
    plain = browsing.info(PEERS["empty-peer"])
    assert judge_info(plain.as_json(), plain) == []
    assert judge_info(plain.as_json() | {"picture": info.as_json()["picture"]}, plain)
    assert judge_info(info.as_json() | {"uploadSlots": info.upload_slots + 1}, info)


def test_the_status_is_the_presence_the_server_gives() -> None:
    assert judge_status({"presence": "Away", "isPrivileged": False}, Presence.AWAY) == []
    assert judge_status({"presence": "Online", "isPrivileged": False}, Presence.AWAY)
    assert judge_status({"presence": "Offline"}, Presence.OFFLINE)  # isPrivileged missing
    assert judge_status("Offline", Presence.OFFLINE)


@pytest.mark.parametrize(
    ("body", "ok"),
    [
        ({"address": "127.0.0.1", "port": 2234}, True),
        ({"addressFamily": "InterNetwork", "address": "10.1.2.3", "port": 65535}, True),
        ({"address": "0.0.0.0", "port": 0}, False),
        ({"address": "::1", "port": 2234}, False),
        ({"address": "127.0.0.1", "port": True}, False),
        ({"address": "127.0.0.1"}, False),
    ],
)
def test_an_endpoint_is_a_usable_ipv4_address_and_port(body: Any, ok: bool) -> None:
    assert (judge_endpoint(body) == []) is ok


def test_a_finished_browse_is_complete_in_either_reading() -> None:
    done = {
        "username": "u",
        "bytesTransferred": 10,
        "bytesRemaining": 0,
        "percentComplete": 100.0,
        "size": 10,
    }
    assert judge_progress(done, "u") == ("object", [])
    assert judge_progress(100.0, "u") == ("number", [])
    assert judge_progress(done | {"percentComplete": 1.0}, "u")[1]
    assert judge_progress(done | {"bytesTransferred": 9}, "u")[1]
    assert judge_progress(done | {"username": "v"}, "u")[1]
    assert judge_progress("100", "u")[1]


@pytest.mark.parametrize("seed", [0, 5])
def test_the_oracle_rebuilds_every_peer_from_the_networks_view(seed: int) -> None:
    peers = load(seed=seed)
    network = SimulatedNetwork(logged_in=True, echo_peers=("echo-peer",), sharing_peers=peers)
    rebuilt = {p.username: p for e in network.peers_view() if (p := peer_from_json(copy.deepcopy(e)))}
    assert set(rebuilt) == {peer.username for peer in peers}
    for peer in peers:
        again = rebuilt[peer.username]
        assert browsing.shares(again) == browsing.shares(peer)
        assert browsing.info(again) == browsing.info(peer)
        assert (again.presence, again.requests) == (peer.presence, peer.requests)


def test_an_endpoint_is_where_the_network_says_the_peer_listens() -> None:
    assert judge_endpoint({"address": "127.0.0.1", "port": 2234}, ("127.0.0.1", 2234)) == []
    assert judge_endpoint({"address": "127.0.0.1", "port": 0xBA08}, ("127.0.0.1", 0x08BA))
    assert judge_endpoint({"address": "127.0.0.2", "port": 2234}, ("127.0.0.1", 2234))

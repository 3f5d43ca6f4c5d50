"""The reference server's Users emulation: every route in each behaviour (documented, slskd,
intended), each kind of peer of the library (sharing, empty, away, offline, unknown, slow,
dropping, an echo peer), each kind of folder (open, locked, missing), the 400s, the blacklist
and a browse's progress, all answered from the same library the network's peers answer from."""

from __future__ import annotations

import base64
import time
from typing import Any

import pytest
import requests

from conformance.apis import installed
from conformance.apis.users import API as USERS
from conformance.apis.users.emulation import BROWSE_KEPT_S, directory_of
from conformance.apis.users.ids import User
from conformance.peers import browsing
from conformance.peers.library import load
from conformance.reference.network import RESPONSE_TIMEOUT_S, SoulseekNetwork
from conformance.reference.network_errors import SoulseekError
from conformance.reference.server import ReferenceServer
from conformance.reference.simulated_users import peer_port
from conformance.requirements.catalogue import load_catalogue
from tests.servers.reference import serve

PEERS = {peer.username: peer for peer in load()}
SHARING = PEERS["sharing-peer"]


def get(server: ReferenceServer, username: str, what: str) -> requests.Response:
    return requests.get(f"{server.base_url}/users/{username}/{what}", timeout=10)


def directory(server: ReferenceServer, username: str, body: Any) -> requests.Response:
    return requests.post(f"{server.base_url}/users/{username}/directory", json=body, timeout=10)


def documented_behaviour(server: ReferenceServer) -> bool:
    assert server.app is not None
    return server.app.options.behaviour == "documented"


def test_the_ids_are_the_catalogue_and_the_api_is_built_in() -> None:
    catalogue = load_catalogue()
    assert {r for r in catalogue if catalogue[r].tag == "Users"} == {str(r) for r in User}
    assert USERS in installed()


def test_a_browse_answers_every_folder_and_the_locked_ones(server: ReferenceServer) -> None:
    response = get(server, SHARING.username, "browse")
    assert response.status_code == 200
    shares = browsing.shares(SHARING)
    opened = [d.as_json() for d in shares.directories]
    locked = [d.as_json() for d in shares.locked_directories]
    if documented_behaviour(server):
        assert response.json() == opened + locked
    else:
        assert response.json() == {
            "directories": opened,
            "directoryCount": len(opened),
            "lockedDirectories": locked,
            "lockedDirectoryCount": len(locked),
        }


def test_a_browse_s_progress_is_kept_a_while_after_it_ends(server: ReferenceServer) -> None:
    assert get(server, SHARING.username, "browse/status").status_code == 404  # nobody browsed yet
    get(server, SHARING.username, "browse")
    progress = get(server, SHARING.username, "browse/status")
    assert progress.status_code == 200
    if documented_behaviour(server):
        assert progress.json() == 100.0
    else:
        body = progress.json()
        assert body["username"] == SHARING.username and body["percentComplete"] == 100.0
        assert body["bytesTransferred"] == body["size"] > 0 and body["bytesRemaining"] == 0
    assert server.app is not None
    emulation = server.app.operations["browse_status"].handler.__self__  # type: ignore[attr-defined]
    ended = emulation.browses[SHARING.username]
    emulation.browses[SHARING.username] = ended.__class__(
        ended.username, ended.transferred, ended.size, time.monotonic() - BROWSE_KEPT_S - 0.1
    )
    assert get(server, SHARING.username, "browse/status").status_code == 404


def test_each_open_folder_answers_itself_and_others_answer_none(server: ReferenceServer) -> None:
    shares = browsing.shares(SHARING)
    for folder in shares.directories:
        body = directory(server, SHARING.username, {"directory": folder.name}).json()
        assert body == (folder.as_json() if documented_behaviour(server) else [folder.as_json()])
    for name in (shares.locked_directories[0].name, shares.directories[0].name.upper(), "Music"):
        response = directory(server, SHARING.username, {"directory": name})
        if documented_behaviour(server):
            assert response.status_code == 404
        else:
            assert (response.status_code, response.json()) == (200, [])


@pytest.mark.parametrize("body", [{}, {"directory": ""}, {"directory": None}, {"directory": 3}, []])
def test_an_empty_or_missing_directory_is_400(server: ReferenceServer, body: Any) -> None:
    response = directory(server, SHARING.username, body)
    assert (response.status_code, response.content) == (400, b"")


def test_the_directory_request_body_binds_like_slskd_s() -> None:
    assert directory_of(b'{"directory": "A\\\\B"}') == "A\\B"
    assert directory_of(b"not json") is None and directory_of(b"") is None and directory_of(b"[1]") is None


@pytest.mark.parametrize("username", ["sharing-peer", "empty-peer", "away-peer"])
def test_the_info_is_the_peer_s_profile(server: ReferenceServer, username: str) -> None:
    response = get(server, username, "info")
    assert response.status_code == 200
    assert response.json() == browsing.info(PEERS[username]).as_json()


def test_the_picture_is_the_peer_s_bytes(documented: ReferenceServer) -> None:
    body = get(documented, SHARING.username, "info").json()
    assert body["hasPicture"] and base64.b64decode(body["picture"]) == SHARING.picture
    assert "picture" not in get(documented, "empty-peer", "info").json()


@pytest.mark.parametrize(
    ("username", "presence"),
    [("sharing-peer", "Online"), ("away-peer", "Away"), ("offline-peer", "Offline"), ("nobody-x", "Offline")],
)
def test_the_status_is_the_presence_and_offline_is_200(
    server: ReferenceServer, username: str, presence: str
) -> None:
    response = get(server, username, "status")
    assert (response.status_code, response.json()) == (200, {"presence": presence, "isPrivileged": False})


def test_the_endpoint_is_loopback_and_a_port_of_the_username(server: ReferenceServer) -> None:
    body = get(server, SHARING.username, "endpoint").json()
    assert (body["address"], body["port"]) == ("127.0.0.1", peer_port(SHARING.username))
    assert ("addressFamily" in body) is documented_behaviour(server)


@pytest.mark.parametrize("username", ["offline-peer", "nobody-at-all"])
def test_an_offline_or_unknown_user_is_404_with_a_message(server: ReferenceServer, username: str) -> None:
    for response in (
        get(server, username, "endpoint"),
        get(server, username, "info"),
        get(server, username, "browse"),
        directory(server, username, {"directory": "Music"}),
    ):
        assert response.status_code == 404 and "offline" in response.json()


@pytest.mark.parametrize("username", ["slow-answering-peer", "dropping-answering-peer", "echo-peer"])
def test_a_peer_that_does_not_answer_is_500(documented: ReferenceServer, username: str) -> None:
    start = time.monotonic()
    for response in (get(documented, username, "info"), get(documented, username, "browse")):
        assert response.status_code == 500 and isinstance(response.json(), str)
    waited = time.monotonic() - start
    if username == "slow-answering-peer":
        assert waited >= 2 * RESPONSE_TIMEOUT_S  # waited out, as slskd waits its timeout
    else:
        assert waited < RESPONSE_TIMEOUT_S
    assert get(documented, "dropping-answering-peer", "status").json()["presence"] == "Online"


def test_a_blacklisted_user_is_404_on_slskd_and_nobody_special_in_the_docs(
    slskd: ReferenceServer, documented: ReferenceServer
) -> None:
    assert get(slskd, "blacklisted-peer", "status").status_code == 404
    assert directory(slskd, "blacklisted-peer", {"directory": "Music"}).status_code == 404
    assert get(documented, "blacklisted-peer", "status").json()["presence"] == "Offline"


def test_not_logged_in_every_network_read_is_500() -> None:
    with serve("slskd", logged_in=False) as server:
        for what in ("status", "endpoint", "info", "browse"):
            assert get(server, SHARING.username, what).status_code == 500
        assert get(server, SHARING.username, "browse/status").status_code == 404  # local


def test_a_network_without_users_answers_500() -> None:
    with pytest.raises(SoulseekError, match="does not browse"):
        SoulseekNetwork().browse("anyone")

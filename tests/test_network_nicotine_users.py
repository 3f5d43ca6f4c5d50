"""A second outside check of the sharing peers' answers about themselves: Nicotine+ (GPL-3.0, a
test tool only, `tests/nicotine_driver.py`) browses a peer, asks its user info and one folder's
contents, as its own user would, and what it decodes must be what `conformance.peers.browsing`
says, field by field (Nicotine+ sorts a browse's folders and a folder's files by name and ignores
the extension field; aioslsk's check, tests/test_network_aioslsk_users.py, sees the order and the
extension)."""

from __future__ import annotations

import base64
import importlib.util
from collections.abc import Iterable, Iterator
from typing import Any

import pytest

if importlib.util.find_spec("pynicotine") is None:
    pytest.skip(
        "Nicotine+ is not installed: pip install --no-deps nicotine-plus==3.3.11 (GPL-3.0, tests only)",
        allow_module_level=True,
    )

from conformance.network.server import NetworkServer
from conformance.peers import browsing, library
from conformance.peers.browsing import Directory
from tests.nicotine_client import NicotineClient

PEERS = {peer.username: peer for peer in library.load()}  # the network's default library, seed 0
FOLDER_TOKEN = 36036  # the driver's


@pytest.fixture(scope="module")
def nico(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NicotineClient]:
    with (
        NetworkServer({}) as server,
        NicotineClient(server.port, "nico", tmp_path_factory.mktemp("nico")) as client,
    ):
        client.wait_for("login", success=True)
        yield client


def as_decoded(directories: Iterable[Directory]) -> list[Any]:
    """The oracle's directories as the driver reports Nicotine+'s decoding of them (in its order:
    a browse's folders and a folder's files by name)."""
    return [
        [
            d.name,
            [
                [f.code, f.filename, f.size, sorted([k, v] for k, v in f.attributes)]
                for f in sorted(d.files, key=lambda f: f.filename)
            ],
        ]
        for d in sorted(directories, key=lambda d: d.name)
    ]


def test_nicotine_decodes_a_browse_with_its_locked_folders(nico: NicotineClient) -> None:
    shares = browsing.shares(PEERS["sharing-peer"])
    nico.ask("browse", "sharing-peer")
    browsed = nico.wait_for("browsed", user="sharing-peer")
    assert (browsed["folders"], browsed["locked"]) == (
        as_decoded(shares.directories),
        as_decoded(shares.locked_directories),
    )


@pytest.mark.parametrize("peer", ["sharing-peer", "away-peer"])
def test_nicotine_decodes_a_user_info_with_or_without_a_picture(nico: NicotineClient, peer: str) -> None:
    info = browsing.info(PEERS[peer])
    nico.ask("info", peer)
    decoded = nico.wait_for("info", user=peer)
    picture = None if info.picture is None else base64.b64encode(info.picture).decode()
    assert decoded == {
        "event": "info",
        "user": peer,
        "description": info.description,
        "picture": picture,
        "slots": info.upload_slots,
        "queue": info.queue_length,
        "free": info.free_slot,
    }


def test_nicotine_decodes_one_folders_contents_under_its_token(nico: NicotineClient) -> None:
    peer = PEERS["sharing-peer"]
    folder = browsing.shares(peer).directories[0].name
    nico.ask("folder", peer.username, folder)
    decoded = nico.wait_for("folder", user=peer.username)
    assert (decoded["token"], decoded["folder"]) == (FOLDER_TOKEN, folder)
    assert decoded["folders"] == as_decoded(browsing.folder_contents(peer, folder))

"""An outside check of the sharing peers' answers about themselves: aioslsk (GPL-3.0, a test
dependency only), a Soulseek client we did not write, browses a peer, asks its user info and one
folder's contents, and asks the server for users' statuses; what it decodes must be, field by
field, what `conformance.peers.browsing` (the checker's oracle) says. Our own codec builds and
reads these frames (tests/test_network_users.py), so a layout mistake shared by both ends would
go unseen there; a third-party decoder sees it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("aioslsk", reason="aioslsk (the `test` extra) is not installed")

from aioslsk.commands import (
    GetUserStatusCommand,
    PeerGetDirectoryContentCommand,
    PeerGetSharesCommand,
    PeerGetUserInfoCommand,
)
from aioslsk.events import UserDirectoryEvent
from aioslsk.protocol.primitives import DirectoryData
from aioslsk.user.model import UserStatus

from conformance.network.server import NetworkServer
from conformance.peers import browsing, library
from conformance.peers.browsing import Directory
from tests.aioslsk_client import WAIT_S, logged_in

PEERS = {peer.username: peer for peer in library.load()}  # the network's default library, seed 0


def as_sent(directories: Iterable[Directory]) -> list[tuple[str, list[tuple[Any, ...]]]]:
    """The oracle's directories as the fields of their records."""
    return [
        (d.name, [(f.code, f.filename, f.size, f.extension, list(f.attributes)) for f in d.files])
        for d in directories
    ]


def as_decoded(directories: Iterable[DirectoryData]) -> list[tuple[str, list[tuple[Any, ...]]]]:
    """aioslsk's decoded directories as the same fields."""
    return [
        (
            d.name,
            [
                (f.unknown, f.filename, f.filesize, f.extension, [(a.key, a.value) for a in f.attributes])
                for f in d.files
            ],
        )
        for d in directories
    ]


@pytest.fixture(scope="module")
def server() -> Iterator[NetworkServer]:
    with NetworkServer({}) as network:  # on its own thread, outside the client's event loop
        yield network


def run(server: NetworkServer, scenario: Callable[[Any], Awaitable[None]], downloads: Path) -> None:
    """`scenario` with an aioslsk client logged in to `server`."""

    async def logged_in_scenario() -> None:
        async with logged_in(server, "alice", downloads) as (client, _):
            await scenario(client)

    asyncio.run(logged_in_scenario())


def test_aioslsk_decodes_a_browse_with_its_locked_folders(server: NetworkServer, tmp_path: Path) -> None:
    shares = browsing.shares(PEERS["sharing-peer"])
    assert shares.locked_directories

    async def scenario(client: Any) -> None:
        directories, locked = await client.execute(
            PeerGetSharesCommand("sharing-peer"), response=True, timeout=WAIT_S
        )
        assert as_decoded(directories) == as_sent(shares.directories)
        assert as_decoded(locked) == as_sent(shares.locked_directories)
        empty = await client.execute(PeerGetSharesCommand("empty-peer"), response=True, timeout=WAIT_S)
        assert empty == ([], [])

    run(server, scenario, tmp_path)


@pytest.mark.parametrize("peer", ["sharing-peer", "away-peer"])
def test_aioslsk_decodes_a_user_info_with_or_without_a_picture(
    server: NetworkServer, tmp_path: Path, peer: str
) -> None:
    info = browsing.info(PEERS[peer])

    async def scenario(client: Any) -> None:
        decoded = await client.execute(PeerGetUserInfoCommand(peer), response=True, timeout=WAIT_S)
        assert (decoded.description, decoded.picture) == (info.description, info.picture)
        assert (decoded.upload_slots, decoded.queue_length, decoded.has_slots_free) == (
            info.upload_slots,
            info.queue_length,
            info.free_slot,
        )

    assert (info.picture is not None) == (peer == "sharing-peer")
    run(server, scenario, tmp_path)


def test_aioslsk_decodes_one_folders_contents_under_its_own_ticket(
    server: NetworkServer, tmp_path: Path
) -> None:
    """Read from aioslsk's UserDirectoryEvent: its `execute(…, response=True)` expects the reply
    under the ticket it had before drawing one (aioslsk 1.7.1), so it never matches."""
    peer = PEERS["sharing-peer"]
    folder = browsing.shares(peer).directories[-1].name

    async def scenario(client: Any) -> None:
        replies: asyncio.Queue[UserDirectoryEvent] = asyncio.Queue()

        async def on_reply(event: UserDirectoryEvent) -> None:
            await replies.put(event)

        client.events.register(UserDirectoryEvent, on_reply)
        command = PeerGetDirectoryContentCommand(peer.username, folder)
        await client.execute(command)
        reply = await asyncio.wait_for(replies.get(), WAIT_S)
        assert (reply.user.name, reply.directory, reply.raw_message.ticket) == (
            peer.username,
            folder,
            command._ticket,
        )
        assert as_decoded(reply.directories) == as_sent(browsing.folder_contents(peer, folder))
        assert len(reply.directories) == 1

    run(server, scenario, tmp_path)


def test_aioslsk_reads_each_users_status(server: NetworkServer, tmp_path: Path) -> None:
    expected = {
        "sharing-peer": UserStatus.ONLINE,
        "away-peer": UserStatus.AWAY,
        "offline-peer": UserStatus.OFFLINE,
        "nobody-by-that-name": UserStatus.OFFLINE,
    }

    async def scenario(client: Any) -> None:
        for username, status in expected.items():
            answer = await client.execute(GetUserStatusCommand(username), response=True, timeout=WAIT_S)
            assert (username, answer.status, answer.privileged) == (username, status, False)

    run(server, scenario, tmp_path)

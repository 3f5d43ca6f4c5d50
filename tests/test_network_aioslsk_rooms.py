"""A real third-party Soulseek client (aioslsk, GPL-3.0, a test dependency only) in the simulated
network's chat rooms: it joins a room and sees the members the network lists, gets the chatter
and its own message echoed, lists the rooms with their counts and private flags, sees another
client come and go, and leaves. Our room frames, decoded by a client we did not write."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("aioslsk")

from aioslsk.commands import GetRoomListCommand, JoinRoomCommand, LeaveRoomCommand, RoomMessageCommand
from aioslsk.events import RoomJoinedEvent, RoomLeftEvent, RoomMessageEvent

from conformance.network.server import NetworkServer
from tests.aioslsk_client import WAIT_S, logged_in
from tests.network_client import room_view

LOBBY, QUIET, PRIVATE = "conformance-lobby", "Conformance Quiet Room", "conformance-private"


class RoomEvents:
    """What one client heard in rooms, as (kind, room, username, message) (keep it alive:
    aioslsk holds listeners weakly)."""

    def __init__(self) -> None:
        self.heard: asyncio.Queue[tuple[str, str, str | None, str]] = asyncio.Queue()

    async def said(self, event: RoomMessageEvent) -> None:
        await self.heard.put(
            ("said", event.message.room.name, event.message.user.name, event.message.message)
        )

    async def joined(self, event: RoomJoinedEvent) -> None:
        await self.heard.put(("joined", event.room.name, event.user.name if event.user else None, ""))

    async def left(self, event: RoomLeftEvent) -> None:
        await self.heard.put(("left", event.room.name, event.user.name if event.user else None, ""))

    async def next(self, count: int) -> list[tuple[str, str, str | None, str]]:
        return [await asyncio.wait_for(self.heard.get(), WAIT_S) for _ in range(count)]


def listening(client: Any) -> RoomEvents:
    events = RoomEvents()
    client.events.register(RoomMessageEvent, events.said)
    client.events.register(RoomJoinedEvent, events.joined)
    client.events.register(RoomLeftEvent, events.left)
    return events


@pytest.fixture
def network() -> Iterator[NetworkServer]:
    with NetworkServer({}) as server:
        yield server


def test_aioslsk_joins_sees_the_members_and_the_chatter_talks_and_is_echoed_and_leaves(
    network: NetworkServer, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with logged_in(network, "alice", tmp_path) as (alice, _):
            events = listening(alice)
            room = await alice(JoinRoomCommand(LOBBY), response=True)
            shown = room_view(network, LOBBY)["members"]
            assert [user.name for user in room.users] == [member["username"] for member in shown]
            for user, member in zip(room.users, shown, strict=True):
                stats = (user.avg_speed, user.uploads, user.shared_file_count, user.shared_folder_count)
                expected = (member["averageSpeed"], member["uploadCount"], member["fileCount"])
                assert stats == (*expected, member["directoryCount"])
                assert (user.slots_free, user.country, user.status.name.lower()) == (
                    member["slotsFree"],
                    member["countryCode"],
                    member["status"].lower(),
                )
            assert await events.next(5) == [
                ("joined", LOBBY, None, ""),  # aioslsk's own event for our JoinRoom reply
                ("said", LOBBY, "sharing-peer", "welcome to the lobby"),
                ("joined", LOBBY, "visiting-peer", ""),
                ("said", LOBBY, "visiting-peer", 'hi all: ünïcode, "quotes" and a \\ too'),
                ("left", LOBBY, "visiting-peer", ""),
            ]
            echoed = await alice(RoomMessageCommand(LOBBY, "hello from aioslsk"), response=True)
            assert echoed.message == "hello from aioslsk"  # aioslsk waits for the server's echo
            assert await events.next(1) == [("said", LOBBY, "alice", "hello from aioslsk")]
            await alice(LeaveRoomCommand(LOBBY), response=True)
            assert await events.next(1) == [("left", LOBBY, None, "")]
            assert room_view(network, LOBBY)["clients"] == []
            said = room_view(network, LOBBY)["messages"]
            assert said[-1] == {"username": "alice", "message": "hello from aioslsk"}

    asyncio.run(scenario())


def test_aioslsk_lists_the_rooms_with_their_counts_and_the_private_room_as_a_member(
    network: NetworkServer, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with logged_in(network, "alice", tmp_path) as (alice, _):
            rooms = {room.name: room for room in await alice(GetRoomListCommand(), response=True)}
            assert {name: room.user_count for name, room in rooms.items()} == {
                LOBBY: 3,
                QUIET: 1,
                "conformance-closed": 1,
            }  # aioslsk answers with the public list; the private rooms it keeps aside
            private = alice.rooms.rooms[PRIVATE]
            assert (private.private, private.user_count, "alice" in private.members) == (True, 2, True)
            room = await alice(JoinRoomCommand(PRIVATE, private=True), response=True)
            assert (room.private, room.owner, room.operators) == (True, "sharing-peer", {"busy-peer"})

    asyncio.run(scenario())


def test_two_aioslsk_clients_in_one_room_see_each_other_come_and_go(
    network: NetworkServer, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with logged_in(network, "alice", tmp_path) as (alice, _):
            events = listening(alice)
            await alice(JoinRoomCommand(QUIET), response=True)
            async with logged_in(network, "bob", tmp_path) as (bob, _):
                room = await bob(JoinRoomCommand(QUIET), response=True)
                assert [user.name for user in room.users] == ["slow-peer", "alice", "bob"]
                await bob(RoomMessageCommand(QUIET, "hi alice"), response=True)
            assert await events.next(4) == [
                ("joined", QUIET, None, ""),
                ("joined", QUIET, "bob", ""),
                ("said", QUIET, "bob", "hi alice"),
                ("left", QUIET, "bob", ""),  # bob's session ended: he left every room
            ]

    asyncio.run(scenario())

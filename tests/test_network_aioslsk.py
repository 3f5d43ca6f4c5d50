"""A real third-party Soulseek client (aioslsk, GPL-3.0, a test dependency only) against the
simulated network: if it logs in, exchanges private messages and acknowledgements and sees
replays through our server, the server speaks the protocol and not just our own codec."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

pytest.importorskip("aioslsk")

from aioslsk.client import SoulSeekClient
from aioslsk.commands import PrivateMessageCommand
from aioslsk.events import PrivateMessageEvent
from aioslsk.protocol.messages import PrivateChatMessageAck
from aioslsk.settings import Settings

from conformance.network.server import NetworkServer
from conformance.network.state import PeerKind
from tests.servers.local import closed_port

WAIT_S = 5.0


@pytest.fixture
def network() -> Iterator[NetworkServer]:
    with NetworkServer({"echo-peer": PeerKind.ECHO}) as server:
        yield server


class Inbox:
    """The private messages one client received (aioslsk holds listeners weakly: keep this alive)."""

    def __init__(self) -> None:
        self.events: asyncio.Queue[PrivateMessageEvent] = asyncio.Queue()

    async def on_message(self, event: PrivateMessageEvent) -> None:
        await self.events.put(event)

    async def next(self) -> PrivateMessageEvent:
        return await asyncio.wait_for(self.events.get(), WAIT_S)


@contextlib.asynccontextmanager
async def logged_in(
    network: NetworkServer, username: str, downloads: Path, *, acknowledge: bool = True
) -> AsyncIterator[tuple[SoulSeekClient, Inbox]]:
    """An aioslsk client logged in to `network`; with acknowledge=False it never acknowledges."""
    settings = Settings(
        credentials={"username": username, "password": f"{username}-password"},
        network={
            "server": {"hostname": "127.0.0.1", "port": network.port},
            "listening": {"port": closed_port(), "obfuscated_port": closed_port()},
            "upnp": {"enabled": False},
        },
        shares={"scan_on_start": False, "download": str(downloads)},
        rooms={"auto_join": False},
    )
    client = SoulSeekClient(settings)
    inbox = Inbox()
    client.events.register(PrivateMessageEvent, inbox.on_message)
    if not acknowledge:
        send = client.network.send_server_messages

        async def without_acks(*messages: object, **options: object) -> object:
            kept = [m for m in messages if not isinstance(m, PrivateChatMessageAck.Request)]
            return await send(*kept, **options)

        client.network.send_server_messages = without_acks  # type: ignore[method-assign]
    await client.start()
    try:
        await asyncio.wait_for(client.login(), WAIT_S)
        yield client, inbox
    finally:
        await client.stop()


async def until(condition: object, what: str) -> None:
    """Poll the network's records (the server acts on its own thread) for up to WAIT_S."""
    for _ in range(int(WAIT_S / 0.02)):
        if condition():  # type: ignore[operator]
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def test_aioslsk_logs_in_and_is_listed_with_its_connection(network: NetworkServer, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with logged_in(network, "alice", tmp_path) as (client, _):
            assert client.session is not None and client.session.ip_address == "127.0.0.1"
            await until(lambda: network.call(network.network.sessions), "alice's session")
            (session,) = network.call(network.network.sessions)
            assert session["username"] == "alice" and session["address"] == "127.0.0.1"
            assert session["port"] > 0
            await until(lambda: network.call(network.network.sessions)[0]["listen_port"] > 0, "listen port")

    asyncio.run(scenario())


def test_two_aioslsk_clients_exchange_messages_and_acknowledgements(
    network: NetworkServer, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with (
            logged_in(network, "alice", tmp_path) as (alice, _),
            logged_in(network, "bob", tmp_path) as (_, bob_inbox),
        ):
            await alice(PrivateMessageCommand("bob", "hello bob"))
            event = await bob_inbox.next()
            assert (event.message.user.name, event.message.message) == ("alice", "hello bob")
            assert event.message.is_direct  # new, not replayed
            await until(lambda: network.call(network.network.account, "bob")["acknowledged"], "bob's ack")
            bob = network.call(network.network.account, "bob")
            assert bob["acknowledged"] == [event.message.id] and bob["unacknowledged"] == []
            (sent,) = network.call(network.network.account, "alice")["sent"]
            assert (sent["to"], sent["message"], sent["id"]) == ("bob", "hello bob", event.message.id)

    asyncio.run(scenario())


def test_aioslsk_gets_the_echo_peers_reply(network: NetworkServer, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with logged_in(network, "alice", tmp_path) as (alice, inbox):
            await alice(PrivateMessageCommand("echo-peer", "ping?"))
            event = await inbox.next()
            assert (event.message.user.name, event.message.message) == ("echo-peer", "echo: ping?")
            assert event.message.id > 0 and event.message.timestamp > 0

    asyncio.run(scenario())


def test_an_unacknowledged_message_is_replayed_at_the_next_login(
    network: NetworkServer, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with logged_in(network, "bob", tmp_path, acknowledge=False) as (_, inbox):
            network.call(network.network.peer_sends, "echo-peer", "bob", "read me", 1)
            first = await inbox.next()
            assert first.message.is_direct
        async with logged_in(network, "bob", tmp_path) as (_, inbox):
            again = await inbox.next()
            assert (again.message.id, again.message.message) == (first.message.id, "read me")
            assert again.message.timestamp == first.message.timestamp
            assert not again.message.is_direct  # replayed: slskd's wasReplayed
            await until(lambda: not network.call(network.network.account, "bob")["unacknowledged"], "ack")

    asyncio.run(scenario())

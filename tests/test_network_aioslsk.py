"""A real third-party Soulseek client (aioslsk, GPL-3.0, a test dependency only) against the
simulated network: if it logs in, exchanges private messages and acknowledgements and sees
replays through our server, the server speaks the protocol and not just our own codec."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("aioslsk")

from aioslsk.commands import PrivateMessageCommand

from conformance.network.server import NetworkServer
from conformance.network.state import PeerKind
from tests.aioslsk_client import logged_in, until


@pytest.fixture
def network() -> Iterator[NetworkServer]:
    with NetworkServer({"echo-peer": PeerKind.ECHO}) as server:
        yield server


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
            logged_in(network, "alice", tmp_path) as (alice, alice_inbox),
            logged_in(network, "bob", tmp_path) as (bob, bob_inbox),
        ):
            await alice(PrivateMessageCommand("bob", "hello bob"))
            event = await bob_inbox.next()
            assert (event.message.user.name, event.message.message) == ("alice", "hello bob")
            assert event.message.is_direct  # new, not replayed
            await until(lambda: network.call(network.network.account, "bob")["acknowledged"], "bob's ack")
            bob_view = network.call(network.network.account, "bob")
            assert bob_view["acknowledged"] == [event.message.id] and bob_view["unacknowledged"] == []
            (sent,) = network.call(network.network.account, "alice")["sent"]
            assert (sent["to"], sent["message"], sent["id"]) == ("bob", "hello bob", event.message.id)
            await bob(PrivateMessageCommand("alice", "hello alice"))
            reply = await alice_inbox.next()
            assert (reply.message.user.name, reply.message.message) == ("bob", "hello alice")
            await until(lambda: network.call(network.network.account, "alice")["acknowledged"], "alice's ack")

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

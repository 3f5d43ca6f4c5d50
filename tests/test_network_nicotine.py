"""Nicotine+ 3.3 (PyPI `nicotine-plus`, GPL-3.0, a test tool only), headless, against the
simulated network: a second client we did not write, with a stricter reader than aioslsk.

Nicotine+ holds every received private message until GetPeerAddress answers for its sender,
and reads that answer to its last field (the obfuscation type and port): an answer that stops
after the port kept every message from showing, though Nicotine+ had acknowledged it already.

Installed with `pip install --no-deps nicotine-plus==3.3.11` (its one dependency, PyGObject,
serves the GUI only and needs system libraries to build); `.ci/run` does that.
"""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest

if importlib.util.find_spec("pynicotine") is None:
    pytest.skip(
        "Nicotine+ is not installed: pip install --no-deps nicotine-plus==3.3.11 (GPL-3.0, tests only)",
        allow_module_level=True,
    )

from conformance.network import messages
from conformance.network.codec import Code
from conformance.network.messages import OFFLINE
from conformance.network.server import NetworkServer
from conformance.network.state import PeerKind
from tests.network_client import eventually, logged_in
from tests.nicotine_client import NicotineClient


@pytest.fixture
def network() -> Iterator[NetworkServer]:
    with NetworkServer({"echo-peer": PeerKind.ECHO, "quiet-peer": PeerKind.SILENT}) as server:
        yield server


@pytest.fixture
def nico(network: NetworkServer, tmp_path: Path) -> Iterator[NicotineClient]:
    with NicotineClient(network.port, "nico", tmp_path / "nico") as client:
        client.wait_for("login", success=True)
        yield client


def acknowledged(network: NetworkServer, username: str, message_id: int) -> bool:
    account = network.call(network.network.account, username)
    return message_id in account["acknowledged"] and message_id not in account["unacknowledged"]


def test_nicotine_logs_in_and_is_listed_with_its_listen_port(
    network: NetworkServer, nico: NicotineClient
) -> None:
    eventually(lambda: network.call(network.network.sessions), "nico's session")
    (session,) = network.call(network.network.sessions)
    assert (session["username"], session["address"]) == ("nico", "127.0.0.1")
    eventually(
        lambda: network.call(network.network.sessions)[0]["listen_port"] == nico.listen_port, "its port"
    )
    assert network.call(network.network.unimplemented_view) == []  # nothing it asked went unanswered


def test_nicotine_sends_to_the_echo_peer_and_shows_the_reply(
    network: NetworkServer, nico: NicotineClient
) -> None:
    nico.send("echo-peer", "ping? ünïcode")
    shown = nico.wait_for("shown", user="echo-peer", text="echo: ping? ünïcode")
    assert shown["new"] and shown["id"] > 0
    (received,) = network.call(network.network.peer_view)[0]["received"]
    assert (received["from"], received["message"]) == ("nico", "ping? ünïcode")
    eventually(lambda: acknowledged(network, "nico", shown["id"]), "nico's acknowledgement")


def test_nicotine_shows_a_silent_peers_message_and_acknowledges_it(
    network: NetworkServer, nico: NicotineClient
) -> None:
    (message_id,) = network.call(network.network.peer_sends, "quiet-peer", "nico", "unprompted", 1)
    shown = nico.wait_for("shown", user="quiet-peer", text="unprompted")
    assert shown["id"] == message_id and shown["new"]
    eventually(lambda: acknowledged(network, "nico", message_id), "nico's acknowledgement")


def test_nicotine_and_a_logged_in_account_exchange_messages_both_ways_and_presence(
    network: NetworkServer, nico: NicotineClient
) -> None:
    bob = logged_in(network, "bob")
    bob.send(messages.private_message_command("nico", "hello nico"))
    shown = nico.wait_for("shown", user="bob", text="hello nico")
    nico.send("bob", "hello bob")
    reply = messages.read_private_message(bob.expect(Code.PRIVATE_MESSAGE))
    assert (reply.username, reply.message, reply.is_new) == ("nico", "hello bob", True)
    eventually(lambda: acknowledged(network, "nico", shown["id"]), "nico's acknowledgement")
    bob.close()  # Nicotine+ watches whom it chats with: the network tells it bob left
    nico.wait_for("status", user="bob", status=OFFLINE)


def test_a_message_held_while_nicotine_was_dropped_is_replayed_at_its_next_login(
    network: NetworkServer, nico: NicotineClient
) -> None:
    assert network.call(network.network.disconnect, "nico")
    nico.wait_for("disconnected")
    (message_id,) = network.call(network.network.peer_sends, "quiet-peer", "nico", "while you were away", 1)
    nico.connect()
    shown = nico.wait_for("shown", user="quiet-peer", text="while you were away")
    assert shown["id"] == message_id and not shown["new"]  # replayed: slskd's wasReplayed
    assert shown["timestamp"] > 0
    eventually(lambda: acknowledged(network, "nico", message_id), "nico's acknowledgement")
    delivered = network.call(network.network.account, "nico")["delivered"]
    assert [(d["id"], d["replayed"]) for d in delivered] == [(message_id, True)]


def test_nicotine_and_aioslsk_exchange_messages_both_ways(
    network: NetworkServer, nico: NicotineClient, tmp_path: Path
) -> None:
    pytest.importorskip("aioslsk")
    from aioslsk.commands import PrivateMessageCommand

    from tests.aioslsk_client import logged_in as aioslsk_logged_in

    async def scenario() -> None:
        async with aioslsk_logged_in(network, "ada", tmp_path / "ada") as (ada, inbox):
            await ada(PrivateMessageCommand("nico", "from aioslsk"))
            shown = await asyncio.to_thread(nico.wait_for, "shown", user="ada", text="from aioslsk")
            assert shown["new"]
            nico.send("ada", "from nicotine")
            event = await inbox.next()
            assert (event.message.user.name, event.message.message) == ("nico", "from nicotine")

    asyncio.run(scenario())

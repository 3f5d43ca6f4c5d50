"""Nicotine+ 3.3 (GPL-3.0, a test tool only), headless, in the simulated network's chat rooms: it
lists the rooms, joins one and sees the members the network lists, shows the chatter and its
own message echoed, sees a raw client come and go, and leaves. A second client we did not
write reads our room frames (installed as tests/test_network_nicotine.py says)."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest

if importlib.util.find_spec("pynicotine") is None:
    pytest.skip(
        "Nicotine+ is not installed: pip install --no-deps nicotine-plus==3.3.11 (GPL-3.0, tests only)",
        allow_module_level=True,
    )

from conformance.network import room_messages as rm
from conformance.network.codec import Code
from conformance.network.server import NetworkServer
from tests.network_client import eventually, logged_in, room_view
from tests.nicotine_client import NicotineClient

LOBBY, QUIET, PRIVATE = "conformance-lobby", "Conformance Quiet Room", "conformance-private"


@pytest.fixture
def network() -> Iterator[NetworkServer]:
    with NetworkServer({}) as server:
        yield server


def test_nicotine_lists_joins_sees_the_members_and_chatter_talks_and_leaves(
    network: NetworkServer, tmp_path: Path
) -> None:
    network.rooms.step_s = 0.25  # the room is read before the chatter's visitor comes in
    with NicotineClient(network.port, "nico", tmp_path / "nico") as nico:
        rooms = nico.wait_for("rooms")  # Nicotine+ asks for the list at login
        assert sorted(map(tuple, rooms["public"])) == sorted(
            [(LOBBY, 3), (QUIET, 1), ("conformance-closed", 1)]
        )
        assert [tuple(room) for room in rooms["member"]] == [(PRIVATE, 2)] and rooms["owned"] == []
        nico.join(LOBBY)
        joined = nico.wait_for("joined", room=LOBBY)
        assert joined["users"] == [member["username"] for member in room_view(network, LOBBY)["members"]]
        assert joined["owner"] is None
        nico.wait_for("said", room=LOBBY, user="sharing-peer", text="welcome to the lobby")
        nico.wait_for("came", room=LOBBY, user="visiting-peer")
        nico.wait_for("said", room=LOBBY, user="visiting-peer", text='hi all: ünïcode, "quotes" and a \\ too')
        nico.wait_for("went", room=LOBBY, user="visiting-peer")
        nico.say_in(LOBBY, "hello from Nicotine+")
        nico.wait_for("said", room=LOBBY, user="nico", text="hello from Nicotine+")  # the server's echo
        nico.leave(LOBBY)
        eventually(lambda: room_view(network, LOBBY)["clients"] == [], "nico out of the lobby", 10.0)
    said = room_view(network, LOBBY)["messages"]
    assert said[-1] == {"username": "nico", "message": "hello from Nicotine+"}


def test_nicotine_sees_a_client_come_talk_and_go_and_reads_a_private_rooms_owner(
    network: NetworkServer, tmp_path: Path
) -> None:
    with NicotineClient(network.port, "nico", tmp_path / "nico") as nico:
        nico.wait_for("login", success=True)
        nico.join(QUIET)
        nico.wait_for("joined", room=QUIET)
        raw = logged_in(network, "raw")
        raw.send(rm.join_room_request(QUIET))
        raw.expect(Code.JOIN_ROOM)
        nico.wait_for("came", room=QUIET, user="raw")
        raw.send(rm.say_in_chat_room_request(QUIET, "hi nico"))
        nico.wait_for("said", room=QUIET, user="raw", text="hi nico")
        raw.close()
        nico.wait_for("went", room=QUIET, user="raw")
        nico.join(PRIVATE, private=True)
        assert nico.wait_for("joined", room=PRIVATE)["owner"] == "sharing-peer"

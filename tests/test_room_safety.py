"""Joining a room and talking in it reach every member of a real room: the guard lets POST and
DELETE under /rooms out only where no real person can be reached (the embedded server, a target
proven on the simulated network) or with `--allow-rooms`, whatever the profile; the joined rooms
are read freely, the server's room list (it asks the Soulseek server) only where rooms may be
joined; and a run leaves no room joined."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests

from conformance.apis import peer_writes
from conformance.apis.rooms import API as ROOMS
from conformance.errors import WriteBlocked
from conformance.requirements.reads import why_unsafe
from conformance.transport.policy import PeerWrite, Profile, WritePolicy
from tests.servers import reference

ROOMS_WRITE = PeerWrite("rooms", ("POST", "DELETE"), consent="rooms")
TARGET = "http://127.0.0.1:5030/api/v0"
WRITES = [
    ("POST", "rooms/joined"),
    ("DELETE", "rooms/joined/conformance-lobby"),
    ("POST", "rooms/joined/conformance-lobby/messages"),
    ("POST", "rooms/joined/conformance-lobby/ticker"),
    ("POST", "rooms/joined/conformance-lobby/members"),
    ("POST", "Rooms/Joined"),  # routed case-insensitively, refused alike
]


def policy(profile: Profile, consented: tuple[str, ...] = ()) -> WritePolicy:
    return WritePolicy.for_target(profile, (), "http://127.0.0.1:5030", (), peer_writes(), consented)


def test_the_rooms_api_declares_its_writes_as_reaching_people() -> None:
    assert ROOMS.peer_writes == (ROOMS_WRITE,)
    assert ROOMS_WRITE in peer_writes()


@pytest.mark.parametrize("profile", list(Profile))
@pytest.mark.parametrize(("method", "path"), WRITES)
def test_no_profile_lets_a_room_write_out_without_consent(profile: Profile, method: str, path: str) -> None:
    with pytest.raises(WriteBlocked, match=r"reaches real Soulseek users.*--allow-rooms"):
        policy(profile).check(method, f"{TARGET}/{path}")


@pytest.mark.parametrize(("method", "path"), WRITES)
def test_consent_lets_room_writes_out_and_another_api_s_consent_does_not(method: str, path: str) -> None:
    policy(Profile.FULL, ("rooms",)).check(method, f"{TARGET}/{path}")
    with pytest.raises(WriteBlocked, match="--allow-rooms"):
        policy(Profile.FULL, ("transfers", "searches")).check(method, f"{TARGET}/{path}")


def test_the_joined_rooms_are_read_freely_and_the_server_list_is_no_generic_read() -> None:
    for read in ("rooms/joined", "rooms/joined/conformance-lobby/messages"):
        policy(Profile.READ_ONLY).check("GET", f"{TARGET}/{read}")
    assert why_unsafe("GET /rooms/available"), "never sent by the generic reads of a live run"


def live_run(tmp_path: Path, *consent: str) -> tuple[list[dict[str, Any]], Any, dict[str, Any]]:
    """A full-profile Rooms run against a reference server as a live target (no network
    control): the rooms its network has, what it has joined afterwards, the results."""
    with reference.live_run(tmp_path, "room", *consent) as (server, _, results):
        rooms = server.app.network.rooms_view()
        left = requests.get(f"{server.url}/api/v0/rooms/joined", timeout=10).json()
    return rooms, left, results


@pytest.mark.slow
def test_a_live_run_without_consent_joins_nothing_and_says_nothing(tmp_path: Path) -> None:
    rooms, left, results = live_run(tmp_path)
    assert not left
    assert all(not room["messages"] and "slskd-reference" not in room["clients"] for room in rooms)
    rows = {row["id"]: row for row in results["requirements"]}
    assert rows["ROOM-GET-404"]["status"] == "pass", "reads of a room not joined need no consent"
    assert "--allow-rooms" in str(rows["ROOM-JOIN-201"]["reason"])
    assert rows["ROOM-AVAILABLE-200"]["status"] in ("skipped", "not-covered"), "the server's list not asked"


@pytest.mark.slow
def test_a_live_run_with_consent_but_no_view_of_the_network_joins_nothing(tmp_path: Path) -> None:
    """With consent but no oracle of the network (no --network-control), the rooms are unknown:
    only the writes to a room not joined go out, refused with 404 before anything is sent."""
    rooms, left, results = live_run(tmp_path, "--allow-rooms")
    statuses = {row["id"]: row["status"] for row in results["requirements"]}
    assert statuses["ROOM-SAY-404"] == "pass" and statuses["ROOM-LEAVE-404"] == "pass"
    assert statuses["ROOM-JOIN-201"] in ("skipped", "not-covered")
    assert not left and all(not room["messages"] for room in rooms)

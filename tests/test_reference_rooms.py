"""The reference server's Rooms emulation: the statuses of its ten operations in each behaviour,
a join answered with the members the simulated server listed, the room's chatter reaching its
messages and users in order, a message stored once as the server echoed it, a refused join, the
private room's tail, ticker and member added, the server's list, the latest 250 messages kept,
case-sensitive names, and the simulated network's view (`rooms_view`) agreeing with what the
emulation shows. Reads poll; nothing sleeps beyond the chatter's own steps.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
import requests

from conformance.apis.rooms import API as ROOMS
from conformance.apis.rooms.emulation import MESSAGES_KEPT
from conformance.reference.server import ReferenceServer
from conformance.requirements.catalogue import load_catalogue
from tests.servers.reference import serve

LOBBY, QUIET, CLOSED, PRIVATE = (
    "conformance-lobby",
    "Conformance Quiet Room",
    "conformance-closed",
    "conformance-private",
)
ME = "slskd-reference"
GREETING = ("sharing-peer", "welcome to the lobby")
VISITOR_SAYS = ("visiting-peer", 'hi all: ünïcode, "quotes" and a \\ too')
WITHIN_S = 3.0


def url(server: ReferenceServer, *segments: str) -> str:
    return "/".join([server.base_url, "rooms", *(requests.utils.quote(s, safe="") for s in segments)])


def join(server: ReferenceServer, room: str) -> requests.Response:
    return requests.post(url(server, "joined"), json=room, timeout=10)


def get(server: ReferenceServer, *segments: str) -> requests.Response:
    return requests.get(url(server, "joined", *segments), timeout=10)


def eventually(read: Callable[[], Any], holds: Callable[[Any], bool]) -> Any:
    """Read until `holds(value)` or WITHIN_S pass; the last value read."""
    deadline = time.monotonic() + WITHIN_S
    while True:
        value = read()
        if holds(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.02)


def said(server: ReferenceServer, room: str) -> list[tuple[str, str]]:
    return [(m["username"], m["message"]) for m in get(server, room, "messages").json()]


def flags(server: ReferenceServer) -> list[Any]:
    """The self flags of the Quiet Room's users (slow-peer, then the target)."""
    return [user.get("self") for user in get(server, QUIET, "users").json()]


def view(server: ReferenceServer, room: str) -> dict[str, Any]:
    network = server.app.network
    return next(r for r in network.rooms_view() if r["name"] == room)


def test_the_ids_are_the_catalogue_and_the_api_is_built_in() -> None:
    catalogue = {r for r, req in load_catalogue().items() if req.tag == "Rooms"}
    assert {str(r) for r in ROOMS.ids or ()} == catalogue
    assert len(catalogue) >= 25


def test_a_join_answers_the_room_with_the_members_the_server_listed(server: ReferenceServer) -> None:
    joined = join(server, LOBBY)
    assert joined.status_code == 201
    room = joined.json()
    assert (room["name"], room["isPrivate"], room["messages"]) == (LOBBY, False, [])
    assert [u["username"] for u in room["users"]] == ["sharing-peer", "busy-peer", "away-peer", ME]
    assert [u.get("self") for u in room["users"]] == [None, None, None, True]
    assert room["users"][0] == view(server, LOBBY)["members"][0]  # the server's numbers, exactly
    assert get(server).json() in ([LOBBY], {LOBBY: {LOBBY: get(server, LOBBY).json()}})


def test_the_chatter_reaches_the_messages_and_users_in_order(server: ReferenceServer) -> None:
    join(server, LOBBY)
    assert eventually(lambda: said(server, LOBBY), lambda s: len(s) == 2) == [GREETING, VISITOR_SAYS]
    users = eventually(
        lambda: get(server, LOBBY, "users").json(),
        lambda u: "visiting-peer" not in {x["username"] for x in u} and len(u) == 4,
    )
    assert [u["username"] for u in users] == ["sharing-peer", "busy-peer", "away-peer", ME]
    messages = get(server, LOBBY, "messages").json()
    assert all(m["roomName"] == LOBBY and m["timestamp"].endswith("Z") and "self" not in m for m in messages)
    assert [m["message"] for m in view(server, LOBBY)["messages"]] == [GREETING[1], VISITOR_SAYS[1]]


def test_a_message_said_is_stored_once_when_the_server_echoes_it(server: ReferenceServer) -> None:
    join(server, QUIET)
    sent = requests.post(url(server, "joined", QUIET, "messages"), json="hello ✓", timeout=10)
    assert (sent.status_code, sent.content) == (201, b"")
    (message,) = get(server, QUIET, "messages").json()
    assert (message["username"], message["message"], message["self"]) == (ME, "hello ✓", True)
    assert view(server, QUIET)["messages"] == [{"username": ME, "message": "hello ✓"}]


def test_a_second_join_changes_nothing_304_documented_200_empty_on_slskd(server: ReferenceServer) -> None:
    join(server, QUIET)
    again = join(server, QUIET)
    expected = 304 if server.options.behaviour == "documented" else 200
    assert (again.status_code, again.content) == (expected, b"")
    assert [u["username"] for u in view(server, QUIET)["members"]] == ["slow-peer", ME]


def test_a_refused_join_is_500_on_slskd_and_the_meant_403_otherwise(server: ReferenceServer) -> None:
    refused = join(server, CLOSED)
    assert refused.status_code == (500 if server.options.behaviour == "slskd" else 403)
    assert get(server, CLOSED).status_code == 404
    assert CLOSED not in get(server).json()


def test_a_leave_is_204_then_404_and_the_server_no_longer_counts_the_target(server: ReferenceServer) -> None:
    join(server, LOBBY)
    assert requests.delete(url(server, "joined", LOBBY), timeout=10).status_code == 204
    assert requests.delete(url(server, "joined", LOBBY), timeout=10).status_code == 404
    assert get(server, LOBBY).status_code == 404
    assert ME not in [m["username"] for m in view(server, LOBBY)["members"]]


def test_everything_of_a_room_not_joined_is_404_and_names_are_case_sensitive(server: ReferenceServer) -> None:
    join(server, LOBBY)
    for name in ("nobody's room", LOBBY.upper()):
        for part in ((), ("users",), ("messages",)):
            assert get(server, name, *part).status_code == 404
        for part in ("messages", "ticker", "members"):
            assert requests.post(url(server, "joined", name, part), json="x", timeout=10).status_code == 404
        assert requests.delete(url(server, "joined", name), timeout=10).status_code == 404


def test_the_private_room_its_ticker_and_a_member_added(server: ReferenceServer) -> None:
    room = join(server, PRIVATE).json()
    assert (room["isPrivate"], room["owner"], room["operators"], room["operatorCount"]) == (
        True,
        "sharing-peer",
        ["busy-peer"],
        1,
    )
    ticker = requests.post(url(server, "joined", PRIVATE, "ticker"), json="hi ✓", timeout=10)
    added = requests.post(url(server, "joined", PRIVATE, "members"), json="carol", timeout=10)
    assert (ticker.status_code, added.status_code) == (201, 201)
    assert view(server, PRIVATE)["tickers"] == [{"username": ME, "ticker": "hi ✓"}]
    assert view(server, PRIVATE)["added"] == ["carol"]


def test_a_member_added_to_a_public_room_is_never_confirmed_500(server: ReferenceServer) -> None:
    join(server, QUIET)
    started = time.monotonic()
    added = requests.post(url(server, "joined", QUIET, "members"), json="carol", timeout=10)
    assert added.status_code == 500
    assert time.monotonic() - started < 3.0, "the wait for the echo is the network's short one"


def test_the_server_room_list(server: ReferenceServer) -> None:
    join(server, LOBBY)
    listed = requests.get(url(server, "available"), timeout=10).json()
    assert listed == [
        {"name": LOBBY, "userCount": 4, "isPrivate": False, "isOwned": False, "isModerated": False},
        {"name": QUIET, "userCount": 1, "isPrivate": False, "isOwned": False, "isModerated": False},
        {"name": CLOSED, "userCount": 1, "isPrivate": False, "isOwned": False, "isModerated": False},
        {"name": PRIVATE, "userCount": 2, "isPrivate": True, "isOwned": False, "isModerated": False},
    ]


def test_a_room_nobody_declared_is_made_by_the_join_and_goes_with_its_last_member() -> None:
    with serve() as server:
        made = join(server, "a room of our own")
        assert [u["username"] for u in made.json()["users"]] == [ME]
        requests.delete(url(server, "joined", "a room of our own"), timeout=10)
        assert "a room of our own" not in [r["name"] for r in server.app.network.rooms_view()]


def test_a_room_keeps_its_latest_250_messages() -> None:
    with serve() as server:
        join(server, QUIET)
        for n in range(MESSAGES_KEPT + 2):
            requests.post(url(server, "joined", QUIET, "messages"), json=f"m{n}", timeout=10)
        kept = [message for _, message in said(server, QUIET)]
        assert kept == [f"m{n}" for n in range(2, MESSAGES_KEPT + 2)]


def test_not_logged_in_a_join_and_the_list_are_500_and_nothing_is_tracked() -> None:
    with serve(logged_in=False) as server:
        assert join(server, LOBBY).status_code == 500
        assert requests.get(url(server, "available"), timeout=10).status_code == 500
        assert not get(server).json()  # no room: [] or {} as the behaviour writes the list


@pytest.mark.parametrize(
    ("fault", "shows"),
    [
        ("room-say-stored-at-send", lambda s: said(s, QUIET) == [(ME, "x"), (ME, "x")]),
        ("room-case-folded", lambda s: get(s, QUIET.upper()).status_code == 200),
        ("room-refused-201", lambda s: join(s, CLOSED).status_code == 201),
        ("room-self-flag-wrong", lambda s: flags(s) == [True, None]),
        ("room-users-404", lambda s: get(s, QUIET, "users").status_code == 404),
    ],
)
def test_a_fault_changes_what_it_names(fault: str, shows: Callable[[ReferenceServer], bool]) -> None:
    with serve(faults=frozenset({fault})) as server:
        join(server, QUIET)
        requests.post(url(server, "joined", QUIET, "messages"), json="x", timeout=10)
        assert shows(server)

"""The model of a joined room (conformance.apis.rooms.model): what it accepts and what it names
as a problem, against the network's view of the room; how a read is awaited and judged
(`probes.settle`) and where what the target heard begins (`oracle.said_since_join`)."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from conformance.apis.rooms.model import (
    MESSAGES_KEPT,
    listing_problems,
    message_problems,
    room_problems,
    self_problems,
    user_problems,
)
from conformance.apis.rooms.oracle import RoomsOracle
from conformance.apis.rooms.probes import settle
from conformance.checks.context import NetworkHandle
from conformance.peers.library import Presence
from conformance.peers.rooms import RoomUser

ME = "me"
ALICE = RoomUser("alice", Presence.AWAY, 10, 2, 30, 4, 1, "NL").as_json()
BOB = RoomUser("bob", Presence.ONLINE, 20, 3, 0, 0, 0, "DE").as_json()


def message(username: str, text: str, room: str = "r", **extra: Any) -> dict[str, Any]:
    stamp = "2026-12-07T10:00:00Z"
    return {"timestamp": stamp, "username": username, "message": text, "roomName": room, **extra}


def test_users_equal_to_the_members_hold_in_any_order() -> None:
    assert user_problems([BOB, {**ALICE, "self": None}], [ALICE, BOB]) == []


def test_a_member_missing_a_stranger_or_a_number_changed_is_named() -> None:
    assert user_problems([ALICE], [ALICE, BOB]) == ["members missing: ['bob']"]
    assert user_problems([ALICE, BOB, BOB], [ALICE, BOB]) == ["users the room does not have: ['bob']"]
    (changed,) = user_problems([{**ALICE, "fileCount": 31}, BOB], [ALICE, BOB])
    assert "'alice'" in changed and "fileCount" in changed
    assert user_problems({"alice": ALICE}, [ALICE]) == ["users is dict, not an array"]


def test_messages_must_be_what_was_said_in_order_and_exactly() -> None:
    said = [{"username": "alice", "message": 'a \\ "b" ü'}, {"username": ME, "message": "x"}]
    assert message_problems([message("alice", 'a \\ "b" ü'), message(ME, "x", self=True)], said, "r") == []
    assert message_problems([message(ME, "x"), message("alice", 'a \\ "b" ü')], said, "r")  # swapped
    assert message_problems([message(ME, "x")], said, "r")  # one lost
    assert message_problems([message("alice", 'a \\ "b" ü'), message(ME, "x"), message(ME, "x")], said, "r")


def test_a_message_without_a_field_or_of_another_room_is_named() -> None:
    said = [{"username": "alice", "message": "hi"}]
    (missing,) = message_problems([{"username": "alice", "message": "hi", "roomName": "r"}], said, "r")
    assert "timestamp" in missing
    (elsewhere,) = message_problems([message("alice", "hi", room="R")], said, "r")
    assert "room 'R'" in elsewhere


@given(st.integers(min_value=0, max_value=MESSAGES_KEPT + 30))
def test_only_the_latest_messages_kept_are_expected(count: int) -> None:
    said = [{"username": "alice", "message": str(n)} for n in range(count)]
    kept = [message("alice", str(n)) for n in range(max(0, count - MESSAGES_KEPT), count)]
    assert message_problems(kept, said, "r") == []
    if count > MESSAGES_KEPT:
        assert message_problems([message("alice", str(n)) for n in range(count)], said, "r")


def test_self_is_true_exactly_for_the_targets_own_entries() -> None:
    assert self_problems([{"username": ME, "self": True}, {"username": "alice"}], ME) == []
    assert self_problems([{"username": ME, "self": True}, {"username": "alice", "self": False}], ME) == []
    assert self_problems([{"username": ME}], ME)
    assert self_problems([{"username": "alice", "self": True}], ME)
    assert self_problems([{"username": ME, "self": "true"}], ME)


def test_a_room_body_names_the_room_its_privacy_owner_and_operators() -> None:
    private = {"name": "p", "private": True, "owner": "alice", "operators": ["bob"]}
    answered = {"name": "p", "isPrivate": True, "owner": "alice", "operators": ["bob"]}
    assert room_problems(answered, private) == []
    assert len(room_problems({"name": "P", "isPrivate": False, "operators": []}, private)) == 4
    assert room_problems({"name": "r", "isPrivate": False}, {"name": "r", "private": False}) == []
    assert room_problems([], {"name": "r"}) == ["the room is list, not an object"]


def test_the_server_list_has_every_room_once_with_its_count_and_privacy() -> None:
    rooms = [
        {"name": "lobby", "members": [ALICE, BOB], "private": False},
        {"name": "club", "members": [ALICE], "private": True},
    ]
    listed = [
        {"name": "lobby", "userCount": 2, "isPrivate": False},
        {"name": "club", "userCount": 1, "isPrivate": True},
    ]
    assert listing_problems(listed, rooms) == []
    assert listing_problems(listed[:1], rooms) == ["'club' missing"]
    assert listing_problems([listed[0], {**listed[1], "isPrivate": False}], rooms)
    assert listing_problems([{**listed[0], "userCount": 3}, listed[1]], rooms)
    assert listing_problems([*listed, listed[0]], rooms) == ["'lobby' listed 2 times"]


def test_a_settled_read_is_judged_as_it_was_read_not_by_a_later_view() -> None:
    """The verdict is the problems of the value that ended the wait: a view of the network that
    moved on after the read (a member come in since) cannot turn it into a defect."""
    reads = iter([["bob"], ["alice"], ["alice", "carol"]])
    value, problems = settle(lambda: next(reads), lambda seen: [] if seen == ["alice"] else ["not yet"], 1.0)
    assert (value, problems) == (["alice"], [])


def test_a_read_that_never_comes_right_ends_with_its_last_problems() -> None:
    started = time.monotonic()
    value, problems = settle(lambda: time.monotonic(), lambda _: ["still wrong"], 0.2)
    assert problems == ["still wrong"] and value >= started + 0.2


def test_what_a_client_heard_begins_at_its_own_join_as_the_network_counts_it() -> None:
    said = [{"username": "alice", "message": str(n)} for n in range(4)]
    room = {"name": "r", "messages": said, "joinedAfter": {ME: 3}}
    view = RoomsOracle(NetworkHandle(simulated=SimpleNamespace(rooms_view=lambda: [room])))
    assert view.said_since_join("r", ME, heard=1) == said[3:]  # the network's count, not the guess
    assert view.said_since_join("r", "stranger", heard=1) == said[1:]  # not in it: the guess

"""Every room frame, byte by byte, as Soulseek.NET 10.0.2 reads it (peers-and-apis.md §1.5): the
expected bytes are spelled out with the protocol's field types, never with the codec under
test, and each reader gives back what its writer wrote, for any rooms and users (Hypothesis);
any bytes are read or refused with ProtocolError, never another exception."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.network import room_messages as rm
from conformance.network.codec import Payload, ProtocolError
from conformance.peers.library import Presence
from conformance.peers.rooms import RoomUser
from tests.test_network_messages import frame, text, u32, u64

ALICE = RoomUser("alice", Presence.ONLINE, 1000, 5_000_000_000, 12, 3, 2, "NL")
BOB = RoomUser("bob", Presence.AWAY, 7, 0, 0, 0, 0, "")


def payload(written: bytes) -> Payload:
    return Payload(written[8:])  # after the length and the code


def test_the_join_reply_is_parallel_lists_with_a_64_bit_upload_count_and_no_tail_for_a_public_room() -> None:
    written = rm.join_reply(rm.JoinReply("lobby", (ALICE, BOB)))
    assert written == frame(
        14,
        text("lobby"),
        u32(2) + text("alice") + text("bob"),
        u32(2) + u32(2) + u32(1),
        u32(2) + u32(1000) + u64(5_000_000_000) + u32(12) + u32(3) + u32(7) + u64(0) + u32(0) + u32(0),
        u32(2) + u32(2) + u32(0),
        u32(2) + text("NL") + text(""),
    )
    assert rm.read_join_reply(payload(written)) == rm.JoinReply("lobby", (ALICE, BOB))


def test_a_private_rooms_join_reply_ends_with_the_owner_and_the_operators() -> None:
    reply = rm.JoinReply("den", (ALICE,), "alice", ("bob", "carol"))
    written = rm.join_reply(reply)
    assert written.endswith(text("alice") + u32(2) + text("bob") + text("carol"))
    assert rm.read_join_reply(payload(written)) == reply


def test_user_joined_room_is_the_room_then_one_member_field_by_field() -> None:
    written = rm.user_joined_room("lobby", ALICE)
    expected_user = text("alice") + u32(2) + u32(1000) + u64(5_000_000_000) + u32(12) + u32(3) + u32(2)
    assert written == frame(16, text("lobby"), expected_user, text("NL"))
    assert rm.read_user_joined_room(payload(written)) == ("lobby", ALICE)


def test_the_room_list_is_names_then_counts_for_three_lists_then_the_operated_names() -> None:
    listing = rm.RoomList((("a", 3), ("b", 0)), (("mine", 1),), (("theirs", 2),), ("theirs",))
    written = rm.room_list(listing)
    assert written == frame(
        64,
        u32(2) + text("a") + text("b") + u32(2) + u32(3) + u32(0),
        u32(1) + text("mine") + u32(1) + u32(1),
        u32(1) + text("theirs") + u32(1) + u32(2),
        u32(1) + text("theirs"),
    )
    assert rm.read_room_list(payload(written)) == listing
    assert rm.room_list(rm.RoomList(())) == frame(64, *(u32(0) for _ in range(7)))


def test_the_small_ones_are_their_strings_in_order() -> None:
    assert rm.join_room_request("lobby", True) == frame(14, text("lobby"), u32(1))
    assert rm.leave_room("lobby") == frame(15, text("lobby"))
    assert rm.say_in_chat_room_request("lobby", "hé") == frame(13, text("lobby"), text("hé"))
    assert rm.room_message("lobby", "bob", "hé") == frame(13, text("lobby"), text("bob"), text("hé"))
    assert rm.user_left_room("lobby", "bob") == frame(17, text("lobby"), text("bob"))
    assert rm.cannot_join_room("lobby") == frame(1003, text("lobby"))
    assert rm.set_room_ticker("lobby", "t") == frame(116, text("lobby"), text("t"))
    assert rm.room_ticker_add("lobby", "bob", "t") == frame(114, text("lobby"), text("bob"), text("t"))
    assert rm.private_room_add_user("den", "bob") == frame(134, text("den"), text("bob"))
    assert rm.room_list_request() == frame(64)


# --- any rooms, any bytes ----------------------------------------------------------------------------
NAMES = st.text(max_size=12)
USERS = st.builds(
    RoomUser,
    NAMES,
    st.sampled_from(list(Presence)),
    st.integers(0, 2**32 - 1),
    st.integers(0, 2**64 - 1),
    st.integers(0, 2**32 - 1),
    st.integers(0, 2**32 - 1),
    st.integers(0, 2**32 - 1),
    NAMES,
)
COUNTED = st.lists(st.tuples(NAMES, st.integers(0, 2**32 - 1)), max_size=4).map(tuple)


@given(
    NAMES, st.lists(USERS, max_size=4).map(tuple), st.none() | st.tuples(NAMES, st.lists(NAMES, max_size=3))
)
def test_any_join_reply_reads_back_as_written(room: str, users: tuple[RoomUser, ...], tail: Any) -> None:
    reply = rm.JoinReply(room, users) if tail is None else rm.JoinReply(room, users, tail[0], tuple(tail[1]))
    assert rm.read_join_reply(payload(rm.join_reply(reply))) == reply


@given(NAMES, USERS)
def test_any_user_joined_room_reads_back_as_written(room: str, user: RoomUser) -> None:
    assert rm.read_user_joined_room(payload(rm.user_joined_room(room, user))) == (room, user)


@given(COUNTED, COUNTED, COUNTED, st.lists(NAMES, max_size=3).map(tuple))
def test_any_room_list_reads_back_as_written(public: Any, owned: Any, member: Any, operated: Any) -> None:
    listing = rm.RoomList(public, owned, member, operated)
    assert rm.read_room_list(payload(rm.room_list(listing))) == listing


READERS = [rm.read_join_reply, rm.read_room_list, rm.read_user_joined_room, rm.read_room_message]


@pytest.mark.parametrize("read", READERS, ids=lambda read: read.__name__)
@given(data=st.binary(max_size=64))
def test_any_bytes_are_read_or_refused_with_a_protocol_error(
    read: Callable[[Payload], Any], data: bytes
) -> None:
    with contextlib.suppress(ProtocolError):
        read(Payload(data))

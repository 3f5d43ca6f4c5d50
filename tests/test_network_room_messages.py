"""Every room frame, byte by byte, as Soulseek.NET 10.0.2 reads it (peers-and-apis.md §1.5): the
expected bytes are spelled out with the protocol's field types, never with the codec under
test, and each reader gives back what its writer wrote."""

from __future__ import annotations

from conformance.network import room_messages as rm
from conformance.network.codec import Payload
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

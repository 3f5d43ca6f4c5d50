"""`conformance network`'s chat rooms, spoken to frame by frame with the project's codec: the
JoinRoom reply and the chatter that follows it, clients in one room seeing each other, a room
that refuses, a private room, leaving, a session's end, the room list, tickers, added members,
and the control API's `GET /rooms`, which must record exactly what crossed the wire."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from conformance.network import messages
from conformance.network import room_messages as rm
from conformance.network.codec import Code, Frame, Payload, ProtocolError
from conformance.network.control import ControlServer
from conformance.network.control_client import ControlClient
from conformance.network.server import NetworkServer
from conformance.peers import library
from conformance.peers import rooms as room_library
from conformance.peers.library import Presence
from tests.network_client import RawClient, eventually, logged_in, room_view

LOBBY, QUIET, CLOSED, PRIVATE = (
    "conformance-lobby",
    "Conformance Quiet Room",
    "conformance-closed",
    "conformance-private",
)
GREETING = (LOBBY, "sharing-peer", "welcome to the lobby")
VISITOR_SAYS = (LOBBY, "visiting-peer", 'hi all: ünïcode, "quotes" and a \\ too')


@pytest.fixture
def network() -> Iterator[NetworkServer]:
    with NetworkServer({}) as server:
        yield server


def join(client: RawClient, name: str, private: bool = False) -> rm.JoinReply:
    client.send(rm.join_room_request(name, private))
    return rm.read_join_reply(client.expect(Code.JOIN_ROOM))


def room_frames(client: RawClient, count: int) -> list[tuple[int, tuple[Any, ...]]]:
    """The next `count` frames, each read by its own reader: (code, fields)."""
    readers = {
        Code.SAY_IN_CHAT_ROOM: rm.read_room_message,
        Code.USER_JOINED_ROOM: lambda p: (lambda room, user: (room, user.username))(
            *rm.read_user_joined_room(p)
        ),
        Code.USER_LEFT_ROOM: rm.read_user_left_room,
        Code.LEAVE_ROOM: lambda p: (p.string(),),
        Code.ROOM_TICKER_ADD: lambda p: (p.string(), p.string(), p.string()),
    }
    frames: list[Frame] = [client.frame() for _ in range(count)]
    return [(frame.code, tuple(readers[Code(frame.code)](frame.reader()))) for frame in frames]


def nothing_more(client: RawClient) -> None:
    """Nothing is waiting before the answer to a ping (the server answers in order)."""
    client.send(messages.ping())
    assert client.frame().code == Code.PING


CHATTER = [
    (Code.SAY_IN_CHAT_ROOM, GREETING),
    (Code.USER_JOINED_ROOM, (LOBBY, "visiting-peer")),
    (Code.SAY_IN_CHAT_ROOM, VISITOR_SAYS),
    (Code.USER_LEFT_ROOM, (LOBBY, "visiting-peer")),
]


# --- joining ---------------------------------------------------------------------------------------
def test_a_join_lists_every_member_with_the_library_numbers_and_the_joiner_last(
    network: NetworkServer,
) -> None:
    alice = logged_in(network, "alice")
    reply = join(alice, LOBBY)
    peers = {peer.username: peer for peer in library.load()}
    expected = [room_library.member(name, peers) for name in ("sharing-peer", "busy-peer", "away-peer")]
    assert reply.room == LOBBY and list(reply.users[:3]) == expected
    me = reply.users[3]
    assert (me.username, me.presence) == ("alice", Presence.ONLINE)
    assert (reply.owner, reply.operators) == (None, ())  # a public room: no private tail
    assert room_view(network, LOBBY)["members"] == [user.as_json() for user in reply.users]
    assert room_view(network, LOBBY)["clients"] == ["alice"]


def test_the_chatter_follows_the_join_in_order_and_is_recorded(network: NetworkServer) -> None:
    alice = logged_in(network, "alice")
    join(alice, LOBBY)
    assert room_frames(alice, 4) == CHATTER
    nothing_more(alice)
    view = room_view(network, LOBBY)
    assert view["messages"] == [{"username": u, "message": m} for _, u, m in (GREETING, VISITOR_SAYS)]
    assert "visiting-peer" not in [member["username"] for member in view["members"]]  # it left again


def test_each_join_plays_the_chatter_again_after_the_last_one(network: NetworkServer) -> None:
    network.rooms.step_s = 0.25  # bob's join comes well before the first step of alice's playing
    alice, bob = logged_in(network, "alice"), logged_in(network, "bob")
    join(alice, LOBBY)
    join(bob, LOBBY)
    assert room_view(network, LOBBY)["chattering"]
    assert room_frames(bob, 8) == CHATTER * 2  # alice's playing, then bob's: never interleaved
    eventually(lambda: len(room_view(network, LOBBY)["messages"]) == 4, "both chatters recorded")
    eventually(lambda: not room_view(network, LOBBY)["chattering"], "the lobby quiet again")


def test_a_room_that_refuses_answers_cannot_join_room_and_keeps_the_client_out(
    network: NetworkServer,
) -> None:
    alice = logged_in(network, "alice")
    alice.send(rm.join_room_request(CLOSED))
    assert alice.expect(Code.CANNOT_JOIN_ROOM).string() == CLOSED
    assert room_view(network, CLOSED)["clients"] == []
    assert network.call(network.network.unimplemented_view) == []  # answered, not a gap


def test_room_names_are_case_sensitive_and_an_unknown_one_is_made_for_the_joiner(
    network: NetworkServer,
) -> None:
    alice = logged_in(network, "alice")
    reply = join(alice, "Conformance-Lobby")
    assert [user.username for user in reply.users] == ["alice"]
    nothing_more(alice)  # a new room has no chatter
    assert room_view(network, LOBBY)["clients"] == []
    alice.send(rm.leave_room("Conformance-Lobby"))
    alice.expect(Code.LEAVE_ROOM)
    assert "Conformance-Lobby" not in [r["name"] for r in network.call(network.rooms.view)]  # gone when empty


def test_a_private_room_has_the_owner_and_operators_tail_and_echoes_an_added_member(
    network: NetworkServer,
) -> None:
    alice = logged_in(network, "alice")
    reply = join(alice, PRIVATE, private=True)
    assert (reply.owner, reply.operators) == ("sharing-peer", ("busy-peer",))
    assert [user.username for user in reply.users] == ["sharing-peer", "busy-peer", "alice"]
    assert room_frames(alice, 1) == [(Code.SAY_IN_CHAT_ROOM, (PRIVATE, "busy-peer", "members only"))]
    alice.send(rm.private_room_add_user(PRIVATE, "carol"))
    assert rm.read_private_room_add_user(alice.expect(Code.PRIVATE_ROOM_ADD_USER)) == (PRIVATE, "carol")
    assert room_view(network, PRIVATE)["added"] == ["carol"]


def test_adding_a_member_to_a_public_room_or_one_the_client_is_not_in_is_not_answered(
    network: NetworkServer,
) -> None:
    alice = logged_in(network, "alice")
    join(alice, QUIET)
    alice.send(rm.private_room_add_user(QUIET, "carol"), rm.private_room_add_user(PRIVATE, "carol"))
    nothing_more(alice)
    assert room_view(network, QUIET)["added"] == room_view(network, PRIVATE)["added"] == []


# --- two clients -------------------------------------------------------------------------------------
def test_two_clients_in_one_room_see_each_other_come_talk_and_go(network: NetworkServer) -> None:
    alice, bob = logged_in(network, "alice"), logged_in(network, "bob")
    join(alice, QUIET)
    reply = join(bob, QUIET)
    assert [user.username for user in reply.users] == ["slow-peer", "alice", "bob"]
    joined = rm.read_user_joined_room(alice.expect(Code.USER_JOINED_ROOM))
    assert joined == (QUIET, reply.users[2])  # the same numbers the joiner's reply shows
    alice.send(rm.say_in_chat_room_request(QUIET, "hello bob"))
    said = (Code.SAY_IN_CHAT_ROOM, (QUIET, "alice", "hello bob"))
    assert room_frames(alice, 1) == room_frames(bob, 1) == [said]  # the sender gets its echo too
    bob.send(rm.leave_room(QUIET))
    assert room_frames(bob, 1) == [(Code.LEAVE_ROOM, (QUIET,))]
    assert room_frames(alice, 1) == [(Code.USER_LEFT_ROOM, (QUIET, "bob"))]
    bob.send(rm.say_in_chat_room_request(QUIET, "still here?"))  # not in it any more: ignored
    nothing_more(bob)
    nothing_more(alice)
    assert room_view(network, QUIET)["messages"] == [{"username": "alice", "message": "hello bob"}]
    assert room_view(network, QUIET)["clients"] == ["alice"]


def test_the_view_counts_for_each_client_the_messages_said_before_it_came_in(
    network: NetworkServer,
) -> None:
    """What a client heard begins at its own join, however the room talked before it came."""
    alice, bob = logged_in(network, "alice"), logged_in(network, "bob")
    join(alice, QUIET)
    alice.send(rm.say_in_chat_room_request(QUIET, "before bob"))
    alice.expect(Code.SAY_IN_CHAT_ROOM)
    join(bob, QUIET)
    assert room_view(network, QUIET)["joinedAfter"] == {"alice": 0, "bob": 1}
    bob.send(rm.leave_room(QUIET))
    bob.expect(Code.LEAVE_ROOM)
    assert room_view(network, QUIET)["joinedAfter"] == {"alice": 0}


def test_a_session_that_ends_leaves_every_room_and_the_others_are_told(network: NetworkServer) -> None:
    alice, bob = logged_in(network, "alice"), logged_in(network, "bob")
    join(alice, QUIET)
    join(bob, QUIET)
    alice.expect(Code.USER_JOINED_ROOM)
    bob.close()
    assert room_frames(alice, 1) == [(Code.USER_LEFT_ROOM, (QUIET, "bob"))]
    assert room_view(network, QUIET)["clients"] == ["alice"]
    logged_in(network, "alice").close()  # a second login of the name ends the first session too
    eventually(lambda: room_view(network, QUIET)["clients"] == [], "alice out of the room")


def test_a_leave_for_a_room_the_client_is_not_in_is_not_answered(network: NetworkServer) -> None:
    alice = logged_in(network, "alice")
    alice.send(rm.leave_room(QUIET), rm.leave_room("no-such-room"))
    nothing_more(alice)


# --- the room list, tickers ----------------------------------------------------------------------
def test_the_room_list_has_the_public_and_member_rooms_with_how_many_are_in_each(
    network: NetworkServer,
) -> None:
    alice = logged_in(network, "alice")
    join(alice, QUIET)
    alice.send(rm.room_list_request())
    listing = rm.read_room_list(alice.expect(Code.ROOM_LIST))
    assert listing == rm.RoomList(((LOBBY, 3), (QUIET, 2), (CLOSED, 1)), (), ((PRIVATE, 2),), ())


def test_a_private_room_the_client_made_is_listed_as_owned(network: NetworkServer) -> None:
    alice, bob = logged_in(network, "alice"), logged_in(network, "bob")
    join(alice, "alices-den", private=True)
    alice.send(rm.room_list_request())
    bob.send(rm.room_list_request())
    assert rm.read_room_list(alice.expect(Code.ROOM_LIST)).owned == (("alices-den", 1),)
    assert ("alices-den", 1) in rm.read_room_list(bob.expect(Code.ROOM_LIST)).member


def test_a_ticker_is_recorded_and_announced_to_the_room(network: NetworkServer) -> None:
    alice, bob = logged_in(network, "alice"), logged_in(network, "bob")
    join(alice, QUIET)
    join(bob, QUIET)
    alice.expect(Code.USER_JOINED_ROOM)
    bob.send(rm.set_room_ticker(QUIET, "now playing: ünïcode"))
    added = (Code.ROOM_TICKER_ADD, (QUIET, "bob", "now playing: ünïcode"))
    assert room_frames(alice, 1) == room_frames(bob, 1) == [added]
    alice.send(rm.set_room_ticker(LOBBY, "not in it"))  # ignored
    nothing_more(alice)
    assert room_view(network, QUIET)["tickers"] == [{"username": "bob", "ticker": "now playing: ünïcode"}]
    assert room_view(network, LOBBY)["tickers"] == []


# --- the control API -------------------------------------------------------------------------------
def test_get_rooms_shows_each_room_as_the_rooms_file_has_it_and_what_happened_in_it(
    network: NetworkServer,
) -> None:
    alice = logged_in(network, "alice")
    join(alice, QUIET)
    alice.send(rm.say_in_chat_room_request(QUIET, "one"), rm.say_in_chat_room_request(QUIET, "two"))
    room_frames(alice, 2)
    with ControlServer(network) as control:
        rooms = {r["name"]: r for r in ControlClient(control.url).rooms()}
    configured = {r.name: r.as_json() for r in room_library.load(library.load())}
    assert list(rooms) == list(configured)
    for name, shown in rooms.items():
        unchanged = {key: value for key, value in configured[name].items() if key != "members"}
        assert {key: shown[key] for key in unchanged} == unchanged
    assert rooms[QUIET]["messages"] == [{"username": "alice", "message": m} for m in ("one", "two")]
    assert rooms[QUIET]["clients"] == ["alice"] and rooms[LOBBY]["clients"] == []


# --- the layouts' readers --------------------------------------------------------------------------
def test_a_join_reply_whose_member_lists_disagree_is_a_protocol_error() -> None:
    reply = rm.join_reply(rm.JoinReply("r", (room_library.member("a", {}), room_library.member("b", {}))))
    body = bytearray(reply[8:])  # after the length and the code
    at = (4 + 1) + 4 + (4 + 1) * 2  # past the room, the names' count and the two names: the statuses' count
    body[at : at + 4] = (3).to_bytes(4, "little")
    with pytest.raises(ProtocolError):
        rm.read_join_reply(Payload(bytes(body)))


def test_a_join_request_without_the_private_flag_is_read_as_public() -> None:
    assert rm.read_join_room_request(Payload((4).to_bytes(4, "little") + b"room")) == ("room", False)
    assert rm.read_join_room_request(Payload(rm.join_room_request("room", True)[8:])) == ("room", True)

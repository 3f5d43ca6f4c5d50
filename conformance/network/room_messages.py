"""The server messages of chat rooms, both directions, as functions (peers-and-apis.md §1.5).

Kept apart from `messages` because rooms are a protocol of their own: the simulated server's
rooms (`conformance.network.rooms`), the reference's protocol client
(`conformance.reference.soulseek_rooms`) and the tests all write and read them here, so a
field out of place shows on both ends. Layouts follow Soulseek.NET 10.0.2
(`src/Messaging/Messages/Server/JoinRoom*.cs`, `RoomMessage*.cs`, `UserJoinedRoomNotification.cs`,
`RoomListResponseFactory.cs`, …). Readers take the `Payload` after the code and raise
`ProtocolError` when a field is missing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple, TypeVar

from conformance.network.codec import Builder, Code, Payload, ProtocolError
from conformance.peers.library import Presence
from conformance.peers.rooms import STATUS_CODES, RoomUser

PRESENCES = {number: presence for presence, number in STATUS_CODES.items()}
T = TypeVar("T")
RoomCount = tuple[str, int]  # a room's name and how many users are in it


class JoinReply(NamedTuple):
    """The server's JoinRoom reply: the members (the joiner among them) and, for a private room,
    its owner and operators (None and () for a public room: the reply has no tail)."""

    room: str
    users: tuple[RoomUser, ...]
    owner: str | None = None
    operators: tuple[str, ...] = ()


class RoomList(NamedTuple):
    """The server's RoomList reply, its four lists in the order they are written."""

    public: tuple[RoomCount, ...]
    owned: tuple[RoomCount, ...] = ()
    member: tuple[RoomCount, ...] = ()
    operated: tuple[str, ...] = ()


# --- client → server ---------------------------------------------------------------------------
def join_room_request(room: str, private: bool = False) -> bytes:
    return Builder(Code.JOIN_ROOM).string(room).uint32(int(private)).build()


def read_join_room_request(payload: Payload) -> tuple[str, bool]:
    """(room, private); the private flag is optional (older clients leave it out)."""
    room = payload.string()
    return room, bool(payload.uint32()) if payload.remaining >= 4 else False


def say_in_chat_room_request(room: str, message: str) -> bytes:
    return Builder(Code.SAY_IN_CHAT_ROOM).string(room).string(message).build()


def read_say_in_chat_room_request(payload: Payload) -> tuple[str, str]:
    return payload.string(), payload.string()


def room_list_request() -> bytes:
    return Builder(Code.ROOM_LIST).build()


def set_room_ticker(room: str, ticker: str) -> bytes:
    return Builder(Code.SET_ROOM_TICKER).string(room).string(ticker).build()


def read_set_room_ticker(payload: Payload) -> tuple[str, str]:
    return payload.string(), payload.string()


# --- both directions ---------------------------------------------------------------------------
def leave_room(room: str) -> bytes:
    """LeaveRoom: the client's request and the server's reply are the room's name alone."""
    return Builder(Code.LEAVE_ROOM).string(room).build()


def private_room_add_user(room: str, username: str) -> bytes:
    """PrivateRoomAddUser: the client's request, which the server echoes as its answer."""
    return Builder(Code.PRIVATE_ROOM_ADD_USER).string(room).string(username).build()


def read_private_room_add_user(payload: Payload) -> tuple[str, str]:
    return payload.string(), payload.string()


# --- server → client ---------------------------------------------------------------------------
def join_reply(reply: JoinReply) -> bytes:
    """Parallel lists: names, statuses, stats (speed, a 64-bit upload count, files, folders),
    free slots, countries; then, for a private room only, the owner and the operators."""
    users = reply.users
    builder = Builder(Code.JOIN_ROOM).string(reply.room).uint32(len(users))
    for user in users:
        builder.string(user.username)
    builder.uint32(len(users))
    for user in users:
        builder.uint32(STATUS_CODES[user.presence])
    builder.uint32(len(users))
    for user in users:
        builder.uint32(user.average_speed).uint64(user.upload_count).uint32(user.files).uint32(
            user.directories
        )
    builder.uint32(len(users))
    for user in users:
        builder.uint32(user.slots_free)
    builder.uint32(len(users))
    for user in users:
        builder.string(user.country)
    if reply.owner is not None:
        builder.string(reply.owner).uint32(len(reply.operators))
        for operator in reply.operators:
            builder.string(operator)
    return builder.build()


def read_join_reply(payload: Payload) -> JoinReply:
    """ProtocolError when the lists disagree on how many members there are."""
    room = payload.string()
    names = _list(payload, payload.string)
    statuses = _list(payload, payload.uint32)
    stats = _list(payload, lambda: (payload.uint32(), payload.uint64(), payload.uint32(), payload.uint32()))
    slots = _list(payload, payload.uint32)
    countries = _list(payload, payload.string)
    if not len(names) == len(statuses) == len(stats) == len(slots) == len(countries):
        raise ProtocolError(f"JoinRoom {room!r}: member lists of different lengths")
    users = tuple(
        RoomUser(name, _presence(status), *numbers, free, country)
        for name, status, numbers, free, country in zip(names, statuses, stats, slots, countries, strict=True)
    )
    if not payload.remaining:
        return JoinReply(room, users)
    owner = payload.string()
    return JoinReply(room, users, owner, tuple(_list(payload, payload.string)))


def cannot_join_room(room: str) -> bytes:
    """The real server's refusal of a JoinRoom: the room's name."""
    return Builder(Code.CANNOT_JOIN_ROOM).string(room).build()


def room_message(room: str, username: str, message: str) -> bytes:
    """SayInChatRoom as the server fans it out to every member, the sender included."""
    return Builder(Code.SAY_IN_CHAT_ROOM).string(room).string(username).string(message).build()


def read_room_message(payload: Payload) -> tuple[str, str, str]:
    """(room, username, message)."""
    return payload.string(), payload.string(), payload.string()


def user_joined_room(room: str, user: RoomUser) -> bytes:
    return (
        Builder(Code.USER_JOINED_ROOM)
        .string(room)
        .string(user.username)
        .uint32(STATUS_CODES[user.presence])
        .uint32(user.average_speed)
        .uint64(user.upload_count)
        .uint32(user.files)
        .uint32(user.directories)
        .uint32(user.slots_free)
        .string(user.country)
        .build()
    )


def read_user_joined_room(payload: Payload) -> tuple[str, RoomUser]:
    room, username, status = payload.string(), payload.string(), payload.uint32()
    numbers = (payload.uint32(), payload.uint64(), payload.uint32(), payload.uint32(), payload.uint32())
    return room, RoomUser(username, _presence(status), *numbers, payload.string())


def user_left_room(room: str, username: str) -> bytes:
    return Builder(Code.USER_LEFT_ROOM).string(room).string(username).build()


def read_user_left_room(payload: Payload) -> tuple[str, str]:
    return payload.string(), payload.string()


def room_ticker_add(room: str, username: str, ticker: str) -> bytes:
    """RoomTickerAdd: the real server's answer to SetRoomTicker, to everyone in the room."""
    return Builder(Code.ROOM_TICKER_ADD).string(room).string(username).string(ticker).build()


def room_list(rooms: RoomList) -> bytes:
    """Public, owned private and member private rooms (names, then user counts each), then the
    names of the rooms the user operates."""
    builder = Builder(Code.ROOM_LIST)
    for counted in (rooms.public, rooms.owned, rooms.member):
        builder.uint32(len(counted))
        for name, _ in counted:
            builder.string(name)
        builder.uint32(len(counted))
        for _, count in counted:
            builder.uint32(count)
    builder.uint32(len(rooms.operated))
    for name in rooms.operated:
        builder.string(name)
    return builder.build()


def read_room_list(payload: Payload) -> RoomList:
    counted = [_counted(payload) for _ in range(3)]
    return RoomList(*counted, tuple(_list(payload, payload.string)))


def _counted(payload: Payload) -> tuple[RoomCount, ...]:
    names = _list(payload, payload.string)
    counts = _list(payload, payload.uint32)
    if len(names) != len(counts):
        raise ProtocolError("RoomList: a list of names and its user counts differ in length")
    return tuple(zip(names, counts, strict=True))


def _list(payload: Payload, read: Callable[[], T]) -> list[T]:
    return [read() for _ in range(payload.uint32())]


def _presence(status: int) -> Presence:
    return PRESENCES.get(status, Presence.ONLINE)

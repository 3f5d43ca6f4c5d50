"""What the Rooms API asks of the Soulseek network: the server's room list, joining, leaving and
talking in rooms, and the room events the server sends.

`SoulseekNetwork` has these; the simulated network plays `conformance.peers.rooms` in process
(`simulated_rooms`), the real connection speaks the server protocol (`soulseek_rooms`: JoinRoom
14, LeaveRoom 15, SayInChatRoom 13, UserJoinedRoom 16, UserLeftRoom 17, RoomList 64,
CannotJoinRoom 1003, SetRoomTicker 116, PrivateRoomAddUser 134: shared/soulseek/peers-and-apis.md §1.5).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from conformance.peers.rooms import RoomUser
from conformance.reference.network_errors import SoulseekError


@dataclass(frozen=True)
class JoinedRoom:
    """The server's JoinRoom reply: the room's members (the joiner among them) and, for a
    private room, its owner and operators."""

    name: str
    users: tuple[RoomUser, ...]
    private: bool = False
    owner: str | None = None
    operators: tuple[str, ...] = ()


@dataclass(frozen=True)
class RoomListing:
    """The server's RoomList reply: (name, user count) of the public rooms, of the private rooms
    the client owns and of those it is a member of, and the names of the rooms it operates."""

    public: tuple[tuple[str, int], ...]
    owned: tuple[tuple[str, int], ...] = ()
    member: tuple[tuple[str, int], ...] = ()
    operated: tuple[str, ...] = ()


class RoomEvent(NamedTuple):
    """Something the server told about a room the client is in.

    `kind`: "said" (SayInChatRoom 13: `username` said `message`; the client's own messages come
    back this way too), "joined" (UserJoinedRoom 16: `user` describes who came in) or "left"
    (UserLeftRoom 17)."""

    kind: str
    room: str
    username: str
    message: str = ""
    user: RoomUser | None = None


# Where room events go: called from a network thread, in the order the server sent them.
RoomDelivery = Callable[[RoomEvent], None]


class RoomsNetwork:
    """The Rooms part of `SoulseekNetwork`. Every call raises SoulseekError (slskd: 500) when not
    logged in or when the server does not answer in time; `join_room` raises RoomForbidden when
    the server refuses the join."""

    def watch_rooms(self, deliver: RoomDelivery) -> None:
        """Send every room event from now on to `deliver` (one receiver: the Rooms emulation)."""

    def room_list(self) -> RoomListing:
        """RoomList (64) and the server's reply."""
        raise SoulseekError(f"{type(self).__name__} does not list rooms")

    def join_room(self, room: str, private: bool = False) -> JoinedRoom:
        """JoinRoom (14) and the server's JoinRoom reply; the room's chatter may follow as events."""
        raise SoulseekError(f"{type(self).__name__} does not join rooms")

    def leave_room(self, room: str) -> None:
        """LeaveRoom (15), returning once the server's LeaveRoom reply has come."""
        raise SoulseekError(f"{type(self).__name__} does not leave rooms")

    def say_in_room(self, room: str, message: str) -> None:
        """SayInChatRoom (13), returning once written; the server's echo comes as a "said" event."""
        raise SoulseekError(f"{type(self).__name__} does not talk in rooms")

    def set_room_ticker(self, room: str, ticker: str) -> None:
        """SetRoomTicker (116); no reply is awaited."""
        raise SoulseekError(f"{type(self).__name__} does not set room tickers")

    def add_room_member(self, room: str, username: str) -> None:
        """PrivateRoomAddUser (134), returning once the server has echoed it."""
        raise SoulseekError(f"{type(self).__name__} does not add members to private rooms")

    def rooms_view(self) -> list[dict[str, Any]] | None:
        """The simulated rooms as the network's control API shows them (`GET /rooms`: each room's
        members now and every message said in it, oldest first); None for a real connection,
        whose network shows them on its control API."""
        return None

"""The reference's protocol client in chat rooms: `RoomsNetwork` over the server connection, as
Soulseek.NET 10.0.2 speaks it (shared/soulseek/peers-and-apis.md §1.5).

A request is one frame to the server; the calls that Soulseek.NET waits on wait here too, keyed
as it keys them: JoinRoom by the room (its JoinRoom reply, or CannotJoinRoom → RoomForbidden),
LeaveRoom by the room, RoomList by nothing, PrivateRoomAddUser by room and user (the server
echoes it). The wait is bounded by `REPLY_TIMEOUT_S`, the simulated network's
`RESPONSE_TIMEOUT_S`, not Soulseek.NET's 5 s: a server that never answers costs a check about a
second, and the caller gets the SoulseekError slskd turns into a 500 either way. SayInChatRoom
and SetRoomTicker are written and not waited on.

What the server says about rooms on its own goes to the `watch_rooms` receiver from the reader
thread, in the order it arrived: SayInChatRoom (13, our own messages' echoes among them) as
"said", UserJoinedRoom (16) as "joined", UserLeftRoom (17) as "left". A join's reply is handed to
the joining call before the next frame is read, but the caller may wake after the room's first
events were delivered: the receiver must take events for a room whose join has not returned.

The connection class inherits this mixin and hands it every frame whose code is in
`ROOM_FRAMES` (`_room_frame`: one dispatch line in its reader).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from conformance.network import room_messages as rm
from conformance.network.codec import Code, Frame
from conformance.reference.network import RESPONSE_TIMEOUT_S, SoulseekNetwork
from conformance.reference.network_errors import RoomForbidden, SoulseekError
from conformance.reference.rooms_network import JoinedRoom, RoomDelivery, RoomEvent, RoomListing

log = logging.getLogger("conformance.reference.soulseek")
REPLY_TIMEOUT_S = RESPONSE_TIMEOUT_S
ROOM_FRAMES = frozenset(
    {
        Code.JOIN_ROOM,
        Code.CANNOT_JOIN_ROOM,
        Code.LEAVE_ROOM,
        Code.SAY_IN_CHAT_ROOM,
        Code.USER_JOINED_ROOM,
        Code.USER_LEFT_ROOM,
        Code.ROOM_LIST,
        Code.PRIVATE_ROOM_ADD_USER,
    }
)
_REFUSED = object()  # what a CannotJoinRoom hands the joining call


@dataclass
class _RoomsState:
    lock: threading.Lock = field(default_factory=threading.Lock)
    waiters: dict[Hashable, list[queue.Queue[Any]]] = field(default_factory=dict)
    deliver: RoomDelivery | None = None


class SoulseekRooms(SoulseekNetwork):
    """The Rooms part of `SoulseekConnection` (which provides `_send`)."""

    _send: Callable[[bytes], None]

    @property
    def _rooms(self) -> _RoomsState:
        # Made on first use, so the connection's own constructor needs no line for it
        # (dict.setdefault is atomic: two threads asking first get the same state).
        state: _RoomsState = self.__dict__.setdefault("_rooms_state", _RoomsState())
        return state

    def watch_rooms(self, deliver: RoomDelivery) -> None:
        self._rooms.deliver = deliver

    def room_list(self) -> RoomListing:
        self._require_login("list rooms")
        listing = self._request(("list",), rm.room_list_request(), "the room list")
        return RoomListing(listing.public, listing.owned, listing.member, listing.operated)

    def join_room(self, room: str, private: bool = False) -> JoinedRoom:
        self._require_login("join a chat room")
        reply = self._request(("join", room), rm.join_room_request(room, private), f"joining room {room}")
        if reply is _REFUSED:
            raise RoomForbidden(f"The server rejected the request to join room {room}")
        return JoinedRoom(reply.room, reply.users, reply.owner is not None, reply.owner, reply.operators)

    def leave_room(self, room: str) -> None:
        self._require_login("leave a chat room")
        self._request(("leave", room), rm.leave_room(room), f"leaving room {room}")

    def say_in_room(self, room: str, message: str) -> None:
        self._require_login("send a chat room message")
        self._send(rm.say_in_chat_room_request(room, message))

    def set_room_ticker(self, room: str, ticker: str) -> None:
        self._require_login("set a chat room ticker")
        self._send(rm.set_room_ticker(room, ticker))

    def add_room_member(self, room: str, username: str) -> None:
        self._require_login("add a private room member")
        what = f"adding {username} to private room {room}"
        self._request(("add", room, username), rm.private_room_add_user(room, username), what)

    def _request(self, key: Hashable, frame: bytes, what: str) -> Any:
        """Send `frame` and wait for what the reply under `key` brings; SoulseekError after
        REPLY_TIMEOUT_S (a waiter registered before the send, so no reply is missed)."""
        waiter: queue.Queue[Any] = queue.Queue()
        state = self._rooms
        with state.lock:
            state.waiters.setdefault(key, []).append(waiter)
        try:
            self._send(frame)
            return waiter.get(timeout=REPLY_TIMEOUT_S)
        except queue.Empty:
            raise SoulseekError(f"The server did not answer {what} within {REPLY_TIMEOUT_S:g} s") from None
        finally:
            with state.lock:
                waiting = state.waiters.get(key, [])
                if waiter in waiting:
                    waiting.remove(waiter)
                if not waiting:
                    state.waiters.pop(key, None)

    def _room_frame(self, frame: Frame) -> None:
        """A frame from the server with a code in ROOM_FRAMES (called by the reader thread)."""
        payload = frame.reader()
        if frame.code == Code.JOIN_ROOM:
            reply = rm.read_join_reply(payload)
            self._answer(("join", reply.room), reply)
        elif frame.code == Code.CANNOT_JOIN_ROOM:
            self._answer(("join", payload.string()), _REFUSED)
        elif frame.code == Code.LEAVE_ROOM:
            self._answer(("leave", payload.string()), None)
        elif frame.code == Code.ROOM_LIST:
            self._answer(("list",), rm.read_room_list(payload))
        elif frame.code == Code.PRIVATE_ROOM_ADD_USER:
            self._answer(("add", *rm.read_private_room_add_user(payload)), None)
        elif frame.code == Code.SAY_IN_CHAT_ROOM:
            room, username, message = rm.read_room_message(payload)
            self._event(RoomEvent("said", room, username, message))
        elif frame.code == Code.USER_JOINED_ROOM:
            room, user = rm.read_user_joined_room(payload)
            self._event(RoomEvent("joined", room, user.username, user=user))
        elif frame.code == Code.USER_LEFT_ROOM:
            self._event(RoomEvent("left", *rm.read_user_left_room(payload)))

    def _answer(self, key: Hashable, value: Any) -> None:
        """To every call waiting under `key`; an answer nobody waits for is dropped."""
        with self._rooms.lock:
            waiters = self._rooms.waiters.pop(key, [])
        for waiter in waiters:
            waiter.put(value)

    def _event(self, event: RoomEvent) -> None:
        deliver = self._rooms.deliver
        if deliver is None:
            return
        try:
            deliver(event)
        except Exception:  # the receiver's own failure: the connection reads on
            log.exception("delivering a room event (%s in %r) failed", event.kind, event.room)

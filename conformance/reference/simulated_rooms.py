"""The simulated server's chat rooms, played in process for `SimulatedNetwork`.

`conformance network` plays `conformance.peers.rooms` over the server protocol; this mixin plays
the same rooms without sockets, so the reference server's Rooms emulation hears what slskd would
hear from a real server: a join answered with the room's members (the joiner among them) or
refused, the room's chatter afterwards, one step apart, as the events of its members (13, 16,
17), a message said echoed back to the sayer (and recorded), a leave answered. A room nobody
declared is made by the first join, as the Soulseek server makes one, and goes when its last
member leaves. What happened in each room (its members now, every message said, the tickers
set, the members added) is `rooms_view()`, the JSON of the network's control API `GET /rooms`,
so a checker reads the embedded server and a live target's network the same way.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from conformance.peers.library import SharingPeer
from conformance.peers.rooms import Act, Chatter, Room, RoomUser, load, member
from conformance.reference.network_errors import RoomForbidden, SoulseekError
from conformance.reference.rooms_network import JoinedRoom, RoomDelivery, RoomEvent, RoomListing, RoomsNetwork

CHATTER_STEP_S = 0.02  # the pace of a room's chatter after a join, as the network's
_STATE_LOCK = threading.Lock()  # makes each network's room state once, whoever asks first


@dataclass
class LiveRoom:
    """A room as it is now: the declared room, who is in it and what was said and set in it."""

    room: Room
    members: list[RoomUser]
    messages: list[dict[str, str]] = field(default_factory=list)  # {username, message}, in order
    tickers: dict[str, str] = field(default_factory=dict)  # username → ticker
    added: list[str] = field(default_factory=list)  # PrivateRoomAddUser, in order
    made_by_join: bool = False
    client: str = ""  # the one logged-in client of an in-process network
    joined_after: int = 0  # the messages said before the client's latest join
    playing: threading.Lock = field(default_factory=threading.Lock)  # one chatter at a time
    plays: int = 0  # the chatter's playings started or waiting, not ended (under the state lock)

    def names(self) -> list[str]:
        return [user.username for user in self.members]

    def as_json(self) -> dict[str, Any]:
        """The control API's view of the room (`GET /rooms`)."""
        clients = [user.username for user in self.members if user.username == self.client]
        return {
            **self.room.as_json(),
            "members": [user.as_json() for user in self.members],
            "clients": clients,
            "joinedAfter": {client: self.joined_after for client in clients},
            "chattering": self.plays > 0,
            "messages": list(self.messages),
            "tickers": [{"username": name, "ticker": text} for name, text in self.tickers.items()],
            "added": list(self.added),
        }


@dataclass
class RoomsState:
    lock: threading.RLock
    rooms: dict[str, LiveRoom]
    deliver: RoomDelivery | None = None


class SimulatedRooms(RoomsNetwork):
    """The Rooms part of `SimulatedNetwork` (whose `username`, `seed`, `sharing_peers`,
    `logged_in`, `response_timeout_s`, `_closing` and `_require_login` it uses)."""

    username: str
    seed: int
    sharing_peers: tuple[SharingPeer, ...]
    response_timeout_s: float
    _closing: threading.Event
    _require_login: Callable[[str], None]  # SoulseekNetwork's

    @property
    def _room_state(self) -> RoomsState:
        """The rooms of `conformance.peers.rooms` for this network's peers and seed, made once."""
        with _STATE_LOCK:
            state = self.__dict__.get("_rooms_state")
            if state is None:
                rooms = load(self.sharing_peers, None, self.seed)
                live = {r.name: LiveRoom(r, list(r.members), client=self.username) for r in rooms}
                state = RoomsState(threading.RLock(), live)
                self.__dict__["_rooms_state"] = state
            return state

    def _me(self) -> RoomUser:
        return member(self.username, {peer.username: peer for peer in self.sharing_peers}, self.seed)

    def watch_rooms(self, deliver: RoomDelivery) -> None:
        self._room_state.deliver = deliver

    def room_list(self) -> RoomListing:
        """The public rooms with their counts; the private ones the client is a member of (all
        the declared private rooms: rooms.yaml makes it a member) as the member's."""
        self._require_login("list rooms")
        state = self._room_state
        with state.lock:
            counts = [(name, len(live.members)) for name, live in state.rooms.items()]
            private = {name for name, live in state.rooms.items() if live.room.private}
        return RoomListing(
            public=tuple(pair for pair in counts if pair[0] not in private),
            member=tuple(pair for pair in counts if pair[0] in private),
        )

    def join_room(self, room: str, private: bool = False) -> JoinedRoom:
        """The room's members with the client last; RoomForbidden for a refusing room. The
        chatter starts one step after the reply, on a thread of its own (a join when the client
        is in already is answered alike and plays nothing, as on the network)."""
        self._require_login("join a room")
        state = self._room_state
        with state.lock:
            live = state.rooms.get(room)
            if live is None:
                live = LiveRoom(Room(room, (), private=private), [], made_by_join=True, client=self.username)
                state.rooms[room] = live
            if live.room.refuses:
                raise RoomForbidden(f"The server rejected the request to join room {room}")
            came_in = self.username not in live.names()  # a join when in already plays nothing
            if came_in:
                live.members.append(self._me())
                live.joined_after = len(live.messages)
                live.plays += bool(live.room.chatter)
            joined = JoinedRoom(
                room, tuple(live.members), live.room.private, live.room.owner, live.room.operators
            )
        if came_in and live.room.chatter:
            threading.Thread(
                target=self._play, args=(live, live.room.chatter), name=f"room-{room}", daemon=True
            ).start()
        return joined

    def _play(self, live: LiveRoom, chatter: tuple[Chatter, ...]) -> None:
        """Each step of the chatter, CHATTER_STEP_S apart, to its end, as the network plays it:
        heard while the client is in the room, recorded unheard once it left (so a visitor is
        never left behind); two joins play it one after the other, never interleaved."""
        try:
            with live.playing:
                self._steps(live, chatter)
        finally:
            with self._room_state.lock:
                live.plays -= 1

    def _steps(self, live: LiveRoom, chatter: tuple[Chatter, ...]) -> None:
        peers = {peer.username: peer for peer in self.sharing_peers}
        for step in chatter:
            if self._closing.wait(CHATTER_STEP_S):
                return
            state = self._room_state
            with state.lock:
                if step.act == Act.SAY:
                    live.messages.append({"username": step.username, "message": step.message})
                    event = RoomEvent("said", live.room.name, step.username, step.message)
                elif step.act == Act.JOIN:
                    user = member(step.username, peers, self.seed)
                    live.members.append(user)
                    event = RoomEvent("joined", live.room.name, step.username, user=user)
                else:
                    live.members[:] = [u for u in live.members if u.username != step.username]
                    event = RoomEvent("left", live.room.name, step.username)
                if state.deliver is not None and self.username in live.names():
                    state.deliver(event)

    def leave_room(self, room: str) -> None:
        self._require_login("leave a room")
        state = self._room_state
        with state.lock:
            live = state.rooms.get(room)
            if live is None:
                return
            live.members[:] = [u for u in live.members if u.username != self.username]
            if live.made_by_join and not live.members:
                del state.rooms[room]

    def say_in_room(self, room: str, message: str) -> None:
        """Recorded and echoed to the sayer before returning; the server ignores a message to a
        room the client is not in."""
        self._require_login("send a room message")
        state = self._room_state
        with state.lock:
            live = state.rooms.get(room)
            if live is None or self.username not in live.names():
                return
            live.messages.append({"username": self.username, "message": message})
            if state.deliver is not None:
                state.deliver(RoomEvent("said", room, self.username, message))

    def set_room_ticker(self, room: str, ticker: str) -> None:
        self._require_login("set a room ticker")
        state = self._room_state
        with state.lock:
            live = state.rooms.get(room)
            if live is not None and self.username in live.names():
                live.tickers[self.username] = ticker

    def add_room_member(self, room: str, username: str) -> None:
        """Echoed for a private room the client is in; otherwise the server says nothing and the
        wait for the echo ends in SoulseekError after the response timeout (slskd: 5 s, a 500)."""
        self._require_login("add a private room member")
        state = self._room_state
        with state.lock:
            live = state.rooms.get(room)
            if live is not None and live.room.private and self.username in live.names():
                live.added.append(username)
                return
        self._closing.wait(self.response_timeout_s)
        raise SoulseekError(f"The server did not confirm adding {username} to room {room}")

    def rooms_view(self) -> list[dict[str, Any]]:
        state = self._room_state
        with state.lock:
            return [live.as_json() for live in state.rooms.values()]

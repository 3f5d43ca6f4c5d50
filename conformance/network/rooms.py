"""The simulated server's chat rooms over the protocol: `conformance.peers.rooms` played to the
clients logged in to `conformance network` (peers-and-apis.md §1.5).

The rules, as the real server applies them and slskd relies on them:
- JoinRoom (14) is answered with the JoinRoom reply: every member now (the room's library
  members, then the clients in the order they came, the joiner last) and, for a private room,
  its owner and operators; a refusing room answers CannotJoinRoom (1003) instead. The other
  clients in the room are told UserJoinedRoom (16). A name no room has makes a new room with
  the joiner alone (private, owned by the joiner, when the join asked for that), as the real
  server creates one; it goes, with what was said in it, when its last client leaves.
- Once a client has come in, the room's chatter plays, one step every `CHATTER_STEP_S`: a
  member says something (13), a visitor joins (16) or leaves (17), to every client in the room
  at that moment. Two joins play it twice, one after the other, never interleaved, so a
  visitor is never in the room twice; a playing goes on to its end when the clients leave
  (what is said then is recorded, heard by nobody), so a visitor is never left behind.
- SayInChatRoom (13) from a client in the room is recorded and fanned out to every client in
  it, the sender included (slskd records a message only when it comes back this way).
- LeaveRoom (15) from a client in the room is answered with LeaveRoom and the others are told
  UserLeftRoom (17); a session that ends (logout, kick, lost connection) leaves every room
  the same way, without the reply.
- RoomList (64): the public rooms, the private rooms the client owns, those it is a member of
  (every other private room: the rooms file makes every client a member) and the names of
  those it operates, each with how many are in it now.
- SetRoomTicker (116) from a client in the room is recorded and announced to the room's
  clients as RoomTickerAdd (114); PrivateRoomAddUser (134) for a private room the client is in
  is recorded and echoed back, which is all Soulseek.NET waits for. Anything else (a say, a
  leave or a ticker for a room the client is not in) is ignored, as the real server ignores it.

The library members are no sessions: only logged-in clients receive anything, and clients in
one room see each other come, talk and go. Everything runs on the network's event loop;
`view()` is the control API's `GET /rooms`: with what was said in each room, each client's
`joinedAfter` (how many of those messages were said before it came in) and whether its chatter
is playing now (`chattering`), so that a checker knows exactly what a client heard, however late
the chatter of an earlier join plays.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from typing import Any

from conformance.network import room_messages as rm
from conformance.network.codec import Code, Payload
from conformance.network.room_messages import PRESENCES, JoinReply, RoomList
from conformance.network.state import Network
from conformance.peers.library import Presence
from conformance.peers.rooms import Act, Chatter, Room, RoomUser, member

CHATTER_STEP_S = 0.02  # the pace of a room's chatter (the reference's simulated peers' STEP_S)
COMMANDS = frozenset(
    {
        Code.JOIN_ROOM,
        Code.LEAVE_ROOM,
        Code.SAY_IN_CHAT_ROOM,
        Code.ROOM_LIST,
        Code.SET_ROOM_TICKER,
        Code.PRIVATE_ROOM_ADD_USER,
    }
)


@dataclass
class _LiveRoom:
    """A room as it is now: who is in it, what was said and set in it."""

    room: Room
    visitors: list[RoomUser]  # members who are no sessions: the library's and the chatter's
    # logged-in members in the order they came, each with how many messages were said before it
    clients: dict[str, int] = field(default_factory=dict)
    said: list[tuple[str, str]] = field(default_factory=list)  # (username, message), oldest first
    tickers: dict[str, str] = field(default_factory=dict)
    added: list[str] = field(default_factory=list)  # PrivateRoomAddUser's users
    made_by_join: bool = False  # no rooms file has it: it goes when its last client leaves
    playing: asyncio.Lock = field(default_factory=asyncio.Lock)  # one chatter at a time
    plays: int = 0  # the chatter's playings started or waiting, not ended

    def as_json(self, users: list[RoomUser]) -> dict[str, Any]:
        return {
            **self.room.as_json(),
            "members": [user.as_json() for user in users],
            "clients": list(self.clients),
            "joinedAfter": dict(self.clients),
            "chattering": self.plays > 0,
            "messages": [{"username": username, "message": message} for username, message in self.said],
            "tickers": [{"username": user, "ticker": ticker} for user, ticker in self.tickers.items()],
            "added": list(self.added),
        }


class ChatRooms:
    """The rooms of one network; `command` takes a logged-in client's room request."""

    def __init__(self, network: Network, rooms: tuple[Room, ...], step_s: float = CHATTER_STEP_S) -> None:
        self.network = network
        self.step_s = step_s
        self._rooms = {room.name: _LiveRoom(room, list(room.members)) for room in rooms}
        self._tasks: set[asyncio.Task[None]] = set()
        network.session_listeners.append(self._session_ended)

    def command(self, username: str, code: int, payload: Payload) -> None:
        if code == Code.JOIN_ROOM:
            self._join(username, *rm.read_join_room_request(payload))
        elif code == Code.LEAVE_ROOM:
            self._leave(username, payload.string(), reply=True)
        elif code == Code.SAY_IN_CHAT_ROOM:
            self._say(username, *rm.read_say_in_chat_room_request(payload))
        elif code == Code.ROOM_LIST:
            self._deliver(username, rm.room_list(self._listing(username)))
        elif code == Code.SET_ROOM_TICKER:
            self._set_ticker(username, *rm.read_set_room_ticker(payload))
        elif code == Code.PRIVATE_ROOM_ADD_USER:
            self._add_member(username, *rm.read_private_room_add_user(payload))

    def view(self) -> list[dict[str, Any]]:
        """Every room: its members now, the chatter, the flags, and all that was said and set."""
        return [live.as_json(self._users(live)) for live in self._rooms.values()]

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # --- the commands --------------------------------------------------------------------------
    def _join(self, username: str, name: str, private: bool) -> None:
        live = self._rooms.get(name)
        if live is None:
            owner = username if private else None
            live = _LiveRoom(Room(name, (), private=private, owner=owner), [], made_by_join=True)
            self._rooms[name] = live
        if live.room.refuses:
            self._deliver(username, rm.cannot_join_room(name))
            return
        if username in live.clients:  # already in: answered again, nobody else told
            self._deliver(username, rm.join_reply(self._reply(live)))
            return
        live.clients[username] = len(live.said)
        self._deliver(username, rm.join_reply(self._reply(live)))
        self._fan_out(live, rm.user_joined_room(name, self._client(username)), but=username)
        if live.room.chatter:
            task = asyncio.get_running_loop().create_task(self._play(live))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _leave(self, username: str, name: str, *, reply: bool) -> None:
        live = self._rooms.get(name)
        if live is None or username not in live.clients:
            return
        del live.clients[username]
        if reply:
            self._deliver(username, rm.leave_room(name))
        self._fan_out(live, rm.user_left_room(name, username))
        if live.made_by_join and not live.clients:
            del self._rooms[name]

    def _say(self, username: str, name: str, message: str) -> None:
        live = self._rooms.get(name)
        if live is not None and username in live.clients:
            self._said(live, username, message)

    def _set_ticker(self, username: str, name: str, ticker: str) -> None:
        live = self._rooms.get(name)
        if live is not None and username in live.clients:
            live.tickers[username] = ticker
            self._fan_out(live, rm.room_ticker_add(name, username, ticker))

    def _add_member(self, username: str, name: str, added: str) -> None:
        live = self._rooms.get(name)
        if live is not None and live.room.private and username in live.clients:
            live.added.append(added)
            self._deliver(username, rm.private_room_add_user(name, added))

    def _listing(self, username: str) -> RoomList:
        public, owned, member_of, operated = [], [], [], []
        for live in self._rooms.values():
            counted = (live.room.name, len(live.visitors) + len(live.clients))
            if not live.room.private:
                public.append(counted)
            elif live.room.owner == username:
                owned.append(counted)
            else:
                member_of.append(counted)
            if live.room.private and username in live.room.operators:
                operated.append(live.room.name)
        return RoomList(tuple(public), tuple(owned), tuple(member_of), tuple(operated))

    def _session_ended(self, username: str) -> None:
        for name in list(self._rooms):
            self._leave(username, name, reply=False)

    # --- the chatter ---------------------------------------------------------------------------
    async def _play(self, live: _LiveRoom) -> None:
        live.plays += 1
        try:
            async with live.playing:
                for step in live.room.chatter:
                    await asyncio.sleep(self.step_s)
                    self._act(live, step)
        finally:
            live.plays -= 1

    def _act(self, live: _LiveRoom, step: Chatter) -> None:
        name = live.room.name
        if step.act is Act.SAY:
            self._said(live, step.username, step.message)
        elif step.act is Act.JOIN:
            visitor = member(step.username, {})
            live.visitors.append(visitor)
            self._fan_out(live, rm.user_joined_room(name, visitor))
        else:
            live.visitors = [user for user in live.visitors if user.username != step.username]
            self._fan_out(live, rm.user_left_room(name, step.username))

    # --- helpers -------------------------------------------------------------------------------
    def _said(self, live: _LiveRoom, username: str, message: str) -> None:
        live.said.append((username, message))
        self._fan_out(live, rm.room_message(live.room.name, username, message))

    def _reply(self, live: _LiveRoom) -> JoinReply:
        room = live.room
        if room.private:
            return JoinReply(room.name, tuple(self._users(live)), room.owner or "", room.operators)
        return JoinReply(room.name, tuple(self._users(live)))

    def _users(self, live: _LiveRoom) -> list[RoomUser]:
        return live.visitors + [self._client(username) for username in live.clients]

    def _client(self, username: str) -> RoomUser:
        """A client as the room shows it: a plain user's numbers, its session's presence."""
        status = self.network.status(username)
        presence = PRESENCES.get(status, Presence.OFFLINE) if status is not None else Presence.OFFLINE
        return replace(member(username, {}), presence=presence)

    def _fan_out(self, live: _LiveRoom, frame: bytes, *, but: str | None = None) -> None:
        for username in live.clients:
            if username != but:
                self._deliver(username, frame)

    def _deliver(self, username: str, frame: bytes) -> None:
        account = self.network.accounts.get(username)
        if account is not None and account.session is not None:
            account.session.deliver(frame)

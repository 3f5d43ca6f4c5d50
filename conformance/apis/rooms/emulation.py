"""The ten Rooms operations in the reference server, in every behaviour.

slskd keeps the rooms it joined in memory (RoomTracker): a join asks the server (JoinRoom 14)
and tracks the room with the members the server listed (the joiner among them) and no
message; from then on what the server tells about the room changes it: a member who joins (16)
or leaves (17), a message said (13), the client's own messages included, **only** as the server
echoes them (a message POSTed is never stored by the POST). A room keeps its latest 250
messages. Room names are case-sensitive keys. Every entry of a room's users and messages has
`self: true` when it is the logged-in user's, and no `self` otherwise (slskd writes null, and
leaves nulls out). `GET rooms/available` asks the server (RoomList 64) each time.

The behaviours differ where the docs and slskd do (shared/soulseek/peers-and-apis.md §3.4):
- `slskd`: a join of a room already joined answers 200 with an empty body (the 304 it declares
  is never sent); a join the server refuses is 500 (the controller's 403 tests the inner
  exception, but Soulseek.NET throws RoomJoinForbiddenException unwrapped); `GET rooms/joined`
  answers the array of the joined rooms' names;
- `documented`: 304 for a room already joined; the refused join is the 403 slskd's code means
  (the docs list no status for it); `GET rooms/joined` answers its documented type, an object
  keyed by room name (each value the room, keyed by its name again:
  `Dict[str, Dict[str, Room]]`); messages carry the documented `direction` (In, Out);
- `intended`: slskd, but the refused join answers the 403 its code means.

The API's lock guards the tracker, never a call to the network: the network delivers room
events holding its own lock, so an operation waiting on the network with this lock held would
wait for an event that waits for it. A reader sees a room whole.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from conformance.apis.transfers.stored import now_micros
from conformance.reference.clock import format_timestamp
from conformance.reference.network import SoulseekNetwork
from conformance.reference.network_errors import RoomForbidden
from conformance.reference.options import DOCUMENTED, SLSKD, ReferenceOptions
from conformance.reference.rooms_network import JoinedRoom, RoomEvent
from conformance.reference.variants import Representation
from conformance.reference.wire import HttpError, Reply, Request, decode_segment

MESSAGES_KEPT = 250  # slskd's Program.cs: a room's latest 250 messages
BAD_REQUEST, FORBIDDEN, NOT_FOUND = 400, 403, 404
OK, CREATED, NO_CONTENT, NOT_MODIFIED = Reply(200), Reply(201), Reply(204), Reply(304)


@dataclass
class Tracked:
    """A joined room as slskd's RoomTracker holds it."""

    name: str
    private: bool
    owner: str | None
    operators: tuple[str, ...]
    users: list[dict[str, Any]]  # UserData, in the order the server told them
    messages: deque[dict[str, Any]] = field(default_factory=deque)  # the latest MESSAGES_KEPT
    heard: int = 0  # messages heard from other members


class RoomsApi:
    """The Rooms operations over the server's network; the joined rooms held in memory."""

    def __init__(
        self,
        options: ReferenceOptions,
        network: SoulseekNetwork,
        representation: Representation | None = None,
    ) -> None:
        self.network = network
        self.documented = options.behaviour == DOCUMENTED
        self.forbidden_403 = options.behaviour != SLSKD
        self.faults = options.faults
        self.representation = representation or Representation(options.variants)
        self.lock = threading.RLock()
        self.kept = 100 if "room-window-100" in self.faults else MESSAGES_KEPT
        self.joined: dict[str, Tracked] = {}
        self.pending: dict[str, list[RoomEvent]] = {}  # joins awaiting the server's reply
        network.watch_rooms(self.receive)

    # --- lookups and shapes -------------------------------------------------------------------
    def _key(self, name: str) -> str:
        """The tracker's key for a room name (case-sensitive, unless the case-folding fault)."""
        if "room-case-folded" in self.faults:
            return next((key for key in self.joined if key.lower() == name.lower()), name)
        return name

    def _tracked(self, request: Request) -> Tracked:
        room = self.joined.get(self._key(decode_segment(request.params["roomName"])))
        if room is None:
            raise HttpError(NOT_FOUND)
        return room

    def _is_self(self, username: str) -> bool:
        if "room-self-flag-wrong" in self.faults:
            return username != self.network.username
        return username == self.network.username

    def _user(self, user: dict[str, Any]) -> dict[str, Any]:
        return {**user, "self": True} if self._is_self(user["username"]) else dict(user)

    def _message(self, message: dict[str, Any]) -> dict[str, Any]:
        own = self._is_self(message["username"])
        body = {
            "timestamp": format_timestamp(
                message["micros"],
                zone=self.representation.zone,
                fraction=self.representation.fraction(message["micros"]),
            ),
            "username": message["username"],
            "message": message["message"],
            "roomName": message["roomName"],
        }
        if self.documented:
            body["direction"] = "Out" if own else "In"
        return {**body, "self": True} if own else body

    def _messages(self, room: Tracked) -> list[dict[str, Any]]:
        messages = [self._message(m) for m in room.messages]
        return messages[::-1] if "room-messages-swapped" in self.faults else messages

    def _users(self, room: Tracked) -> list[dict[str, Any]]:
        return [self._user(user) for user in room.users]

    def _room(self, room: Tracked) -> dict[str, Any]:
        """slskd's RoomResponse; null properties left out, as System.Text.Json is told to."""
        body: dict[str, Any] = {"name": room.name, "isPrivate": room.private}
        if room.private:
            body |= {"operatorCount": len(room.operators), "operators": list(room.operators)}
            if room.owner is not None:
                body["owner"] = room.owner
        return body | {"users": self._users(room), "messages": self._messages(room)}

    @staticmethod
    def _body_string(request: Request) -> str:
        """The `[FromBody] string`: a JSON string literal; anything else is refused (400)."""
        try:
            value = json.loads(request.body.decode("utf-8-sig"))
        except (ValueError, RecursionError):
            raise HttpError(BAD_REQUEST) from None
        if not isinstance(value, str) or not value:
            raise HttpError(BAD_REQUEST)
        return value

    # --- what the server tells -----------------------------------------------------------------
    def receive(self, event: RoomEvent) -> None:
        """A room event from the network: it changes the room only while the room is tracked
        (or kept until the reply of a join on its way)."""
        with self.lock:
            if event.room in self.pending:
                self.pending[event.room].append(event)
            elif (room := self.joined.get(event.room)) is not None:
                self._apply(room, event)

    def _apply(self, room: Tracked, event: RoomEvent) -> None:
        """What slskd's handlers do: a message heard is stored; a member who joins is added (the
        client's own join adds nothing: it is in the reply), one who leaves is removed."""
        if event.kind == "said":
            self._heard(room, event.username, event.message)
        elif event.kind == "joined" and event.user is not None:
            if event.username == self.network.username:
                return
            room.users = [u for u in room.users if u["username"] != event.username]
            room.users.append(event.user.as_json())
        elif event.kind == "left" and "room-leaver-kept" not in self.faults:
            room.users = [u for u in room.users if u["username"] != event.username]

    def _heard(self, room: Tracked, username: str, message: str) -> None:
        if username != self.network.username:
            room.heard += 1
            if room.heard == 1 and "room-message-lost" in self.faults:
                return  # the first message from another member never stored
        if len(room.messages) >= self.kept:
            room.messages.popleft()
        room.messages.append(
            {"micros": now_micros(), "username": username, "message": message, "roomName": room.name}
        )

    # --- reads ---------------------------------------------------------------------------------
    def available(self, request: Request) -> Reply:
        listing = self.network.room_list()
        rooms = [(name, count, False, False) for name, count in listing.public]
        private = "room-available-private-public" not in self.faults
        rooms += [(name, count, private, False) for name, count in listing.member]
        rooms += [(name, count, True, True) for name, count in listing.owned]
        return Reply.json(
            [
                {
                    "name": name,
                    "userCount": count,
                    "isPrivate": is_private,
                    "isOwned": owned,
                    "isModerated": name in listing.operated,
                }
                for name, count, is_private, owned in rooms
            ]
        )

    def list_joined(self, request: Request) -> Reply:
        with self.lock:
            if self.documented:
                return Reply.json({name: {name: self._room(room)} for name, room in self.joined.items()})
            return Reply.json(list(self.joined))

    def get_room(self, request: Request) -> Reply:
        with self.lock:
            return Reply.json(self._room(self._tracked(request)))

    def users(self, request: Request) -> Reply:
        with self.lock:
            room = self._tracked(request)
            if "room-users-404" in self.faults:
                raise HttpError(NOT_FOUND)
            return Reply.json(self._users(room))

    def messages(self, request: Request) -> Reply:
        with self.lock:
            return Reply.json(self._messages(self._tracked(request)))

    # --- writes --------------------------------------------------------------------------------
    def join(self, request: Request) -> Reply:
        """Tracked from the server's reply; what the server tells about the room between the
        request and the reply is kept and applied after it, in order."""
        name = self._body_string(request)
        with self.lock:
            if self._key(name) in self.joined and "room-already-joined-201" not in self.faults:
                return NOT_MODIFIED if self.documented else OK
            self.pending.setdefault(name, [])
        try:
            joined = self.network.join_room(name)
        except RoomForbidden:
            if "room-refused-201" not in self.faults:
                with self.lock:
                    self.pending.pop(name, None)
                if self.forbidden_403:
                    return Reply.json(f"The server rejected your request to join {name}", FORBIDDEN)
                raise
            joined = JoinedRoom(name, ())
        except BaseException:
            with self.lock:
                self.pending.pop(name, None)
            raise
        users = [u.as_json() for u in joined.users]
        if "room-self-missing" in self.faults:
            users = [u for u in users if u["username"] != self.network.username]
        with self.lock:
            room = self.joined[name] = Tracked(name, joined.private, joined.owner, joined.operators, users)
            for event in self.pending.pop(name, []):
                self._apply(room, event)
            return Reply.json(self._room(room), 201)

    def leave(self, request: Request) -> Reply:
        with self.lock:
            name = self._tracked(request).name
        self.network.leave_room(name)  # SoulseekError: 500, the room still tracked
        with self.lock:
            if "room-leave-kept" not in self.faults:
                self.joined.pop(name, None)
            return NO_CONTENT

    def say(self, request: Request) -> Reply:
        """201 once the message is written; it is stored only when the server echoes it."""
        with self.lock:
            room = self._tracked(request)
            text = self._body_string(request)
            if "room-say-stored-at-send" in self.faults:
                self._heard(room, self.network.username, text)
        self.network.say_in_room(room.name, text)
        return CREATED

    def ticker(self, request: Request) -> Reply:
        with self.lock:
            name, text = self._tracked(request).name, self._body_string(request)
        self.network.set_room_ticker(name, text)
        return CREATED

    def add_member(self, request: Request) -> Reply:
        with self.lock:
            name, username = self._tracked(request).name, self._body_string(request)
        self.network.add_room_member(name, username)  # SoulseekError without the server's echo: 500
        return CREATED

"""The simulated server's chat rooms: who is in each, what the members do once a client has
joined, and the numbers the server tells about each member.

No I/O here: `conformance network` plays these rooms over the server protocol (JoinRoom 14,
LeaveRoom 15, SayInChatRoom 13, UserJoinedRoom 16, UserLeftRoom 17, RoomList 64, CannotJoinRoom
1003: shared/soulseek/peers-and-apis.md §1.5), the reference server's in-process simulation plays
them without sockets, and the checker reads them, so all three agree on every member, number and
message. The rooms come from a declarative file (`rooms.yaml` beside this module by default); a
member that is a library peer has its numbers from its library, any other member is a plain
online user with numbers drawn from the seed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from conformance.data.yaml_files import read_yaml
from conformance.peers.library import Presence, SharingPeer

DEFAULT_ROOMS = Path(__file__).with_name("rooms.yaml")
STATUS_CODES = {Presence.OFFLINE: 0, Presence.AWAY: 1, Presence.ONLINE: 2}  # GetStatus' numbers


class Act(StrEnum):
    """What a member does in a room's chatter."""

    SAY = "say"
    JOIN = "join"
    LEAVE = "leave"


@dataclass(frozen=True)
class Chatter:
    """One thing a member does once a client has joined the room."""

    act: Act
    username: str
    message: str = ""  # what it says (SAY only)


@dataclass(frozen=True)
class RoomUser:
    """A member as the server describes it (JoinRoom's lists, UserJoinedRoom's fields)."""

    username: str
    presence: Presence
    average_speed: int
    upload_count: int
    files: int
    directories: int
    slots_free: int
    country: str

    def as_json(self) -> dict[str, Any]:
        """slskd's UserData object for it."""
        return {
            "username": self.username,
            "status": str(self.presence),
            "averageSpeed": self.average_speed,
            "uploadCount": self.upload_count,
            "fileCount": self.files,
            "directoryCount": self.directories,
            "slotsFree": self.slots_free,
            "countryCode": self.country,
        }


@dataclass(frozen=True)
class Room:
    """A room on the simulated server, as it is before any client joins."""

    name: str
    members: tuple[RoomUser, ...]
    chatter: tuple[Chatter, ...] = ()
    refuses: bool = False  # a join is answered CannotJoinRoom
    private: bool = False
    owner: str | None = None
    operators: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """The room as the network's control API shows it."""
        return {
            "name": self.name,
            "members": [member.as_json() for member in self.members],
            "chatter": [
                {"act": str(c.act), "username": c.username, "message": c.message} for c in self.chatter
            ],
            "refuses": self.refuses,
            "private": self.private,
            "owner": self.owner,
            "operators": list(self.operators),
        }


def member(username: str, peers: dict[str, SharingPeer], seed: int = 0) -> RoomUser:
    """How the server describes `username` in a room: a library peer by its library, anyone else
    as an online user with numbers from the seed."""
    peer = peers.get(username)
    if peer is not None:
        folders = {file.filename.rsplit("\\", 1)[0] for file in peer.files}
        return RoomUser(
            username,
            peer.presence,
            peer.upload_speed,
            _draw(seed, username, 1000),
            len(peer.files),
            len(folders),
            peer.upload_slots if peer.free_slot else 0,
            "NL",
        )
    return RoomUser(
        username, Presence.ONLINE, _draw(seed, username, 500_000), _draw(seed, username, 1000), 0, 0, 1, "DE"
    )


def load(peers: tuple[SharingPeer, ...], path: Path | None = None, seed: int = 0) -> tuple[Room, ...]:
    """The rooms of a rooms file (the default one when `path` is None), exact for `seed`.

    ValueError with one readable line when the file is not a rooms file."""
    where = path or DEFAULT_ROOMS
    document = read_yaml(where)
    entries = document.get("rooms") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise ValueError(f"{where}: a rooms file is a mapping with a `rooms:` list")
    by_name = {peer.username: peer for peer in peers}
    rooms = [_room(entry, by_name, seed, where) for entry in entries]
    names = [room.name for room in rooms]
    if len(set(names)) != len(names):
        raise ValueError(f"{where}: a room name appears twice")
    return tuple(rooms)


def _room(entry: Any, peers: dict[str, SharingPeer], seed: int, where: Path) -> Room:
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"]:
        raise ValueError(f"{where}: a room needs a non-empty `name`: {entry!r}")
    return Room(
        name=entry["name"],
        members=tuple(member(str(name), peers, seed) for name in entry.get("members", [])),
        chatter=tuple(_chatter(step, entry["name"], where) for step in entry.get("chatter", [])),
        refuses=bool(entry.get("refuses", False)),
        private=bool(entry.get("private", False)),
        owner=entry.get("owner"),
        operators=tuple(str(name) for name in entry.get("operators", [])),
    )


def _chatter(step: Any, room: str, where: Path) -> Chatter:
    if isinstance(step, dict) and len(step) == 1:
        ((act, value),) = step.items()
        if act == Act.SAY and isinstance(value, list) and len(value) == 2:
            return Chatter(Act.SAY, str(value[0]), str(value[1]))
        if act in (Act.JOIN, Act.LEAVE) and isinstance(value, str):
            return Chatter(Act(act), value)
    raise ValueError(
        f"{where}: {room}: chatter is `say: [user, text]`, `join: user` or `leave: user`: {step!r}"
    )


def _draw(seed: int, username: str, below: int) -> int:
    digest = hashlib.sha256(f"{seed}\0{username}\0room".encode()).digest()
    return int.from_bytes(digest[:4], "little") % below

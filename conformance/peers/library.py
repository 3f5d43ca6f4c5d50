"""Who shares what: simulated peers' libraries, from a declarative file made exact by a seed.

The file (`library.yaml` beside this module by default) names each peer, its behaviour and its
numbers (upload speed, queue length, free slot, how long it takes to answer), what it does with a
download (`upload`, `queue_s`, `place`, `online`: see `uploads`), its profile (`description`,
`picture`, `upload_slots`: the user info it gives), its presence (`away`) and how it answers a
browse, a user info or a folder's contents (`requests`: see `Answering`), and its folders of
file names; a crowd entry stands for many identical responders, so a search can reach a
response limit at once. What the file leaves open (sizes, bit rates, lengths, sample rates, bit
depths) comes from a hash of the seed, the username and the file name: the same seed gives the
same library on every machine and in every process, so the network, the reference server and
the checker never disagree about what a peer shares.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from pathlib import Path
from typing import Any

from conformance.data.yaml_files import read_yaml
from conformance.peers.uploads import Upload

DEFAULT_LIBRARY = Path(__file__).with_name("library.yaml")
SEPARATOR = "\\"  # Soulseek paths are Windows-style whatever the sharer's system
LOSSLESS = frozenset({"flac", "wav", "aiff", "ape"})


class Attribute(IntEnum):
    """Soulseek's file attribute types, as a file record numbers them."""

    BIT_RATE = 0
    LENGTH = 1
    VBR = 2
    SAMPLE_RATE = 4
    BIT_DEPTH = 5


# slskd's File JSON names for each attribute (VBR is a boolean there)
ATTRIBUTE_FIELDS = {
    Attribute.BIT_RATE: "bitRate",
    Attribute.LENGTH: "length",
    Attribute.VBR: "isVariableBitRate",
    Attribute.SAMPLE_RATE: "sampleRate",
    Attribute.BIT_DEPTH: "bitDepth",
}


class Behaviour(StrEnum):
    """How a peer treats a search it has matches for."""

    ANSWERS = "answers"
    NOTHING = "nothing"  # has matches, never answers
    BELOW_MINIMUM = "below-minimum"  # answers with its first matching file only
    WRONG_TOKEN = "wrong-token"  # answers under a token no client gave (token ^ WRONG_TOKEN_MASK)


WRONG_TOKEN_MASK = 0x5A5A5A5A


class Answering(StrEnum):
    """How a peer treats a browse (4), a user info (15) and a folder contents (36) request."""

    ANSWERS = "answers"
    SLOW = "slow"  # never answers in time: the downloader's wait for the reply runs out
    DROPS = "drops"  # closes the connection instead of answering (mid-browse: half the frame sent)


class Presence(StrEnum):
    """A user's status as the server tells it (GetStatus 7: 0, 1, 2), in slskd's `UserPresence` names."""

    OFFLINE = "Offline"
    AWAY = "Away"
    ONLINE = "Online"


PICTURE_BYTES = 96  # a peer with `picture: true` has this many bytes of picture, drawn from the seed


@dataclass(frozen=True)
class SharedFile:
    """One shared file as a search response's file record carries it."""

    filename: str  # the full path, `\`-separated
    size: int
    attributes: tuple[tuple[int, int], ...] = ()
    locked: bool = False

    code = 1  # the record's leading byte: always 1

    @property
    def extension(self) -> str:
        """The text after the last dot of the file's name, without the dot ("" when none)."""
        name = self.filename.rsplit(SEPARATOR, 1)[-1]
        return name.rsplit(".", 1)[-1] if "." in name else ""

    def as_json(self) -> dict[str, Any]:
        """slskd's File object for this record: attributes absent from it are left out."""
        body: dict[str, Any] = {
            "filename": self.filename,
            "size": self.size,
            "code": self.code,
            "extension": self.extension,
            "isLocked": self.locked,
        }
        for kind, value in self.attributes:
            field = ATTRIBUTE_FIELDS[Attribute(kind)]
            body[field] = bool(value) if kind == Attribute.VBR else value
        return body


@dataclass(frozen=True)
class SharingPeer:
    """A simulated user who shares files and (depending on `behaviour`) answers searches."""

    username: str
    behaviour: Behaviour
    files: tuple[SharedFile, ...]
    upload_speed: int
    queue_length: int
    free_slot: bool
    delay_s: float  # between receiving a search and sending the answer
    upload: Upload = Upload.QUEUES  # what it does with a download request (uploads.Upload)
    queue_s: float = 0.2  # how long a queued upload waits before the peer starts it
    place: int = 1  # its answer to PlaceInQueueRequest
    online: bool = True  # False: its address is 0.0.0.0:0 and no search reaches it
    away: bool = False  # online, but its status is Away
    description: str = ""  # its user info's description
    picture: bytes | None = None  # its user info's picture (None: it has none)
    upload_slots: int = 1
    requests: Answering = Answering.ANSWERS  # browse, user info and folder contents

    @property
    def presence(self) -> Presence:
        """Its status on the server: offline when not online, else away or online."""
        if not self.online:
            return Presence.OFFLINE
        return Presence.AWAY if self.away else Presence.ONLINE

    def file(self, filename: str) -> SharedFile | None:
        """The shared file with this exact path, None when the peer does not share it."""
        return next((file for file in self.files if file.filename == filename), None)

    def as_json(self) -> dict[str, Any]:
        """The peer as the network's control API shows it (shares included)."""
        return {
            "username": self.username,
            "behaviour": str(self.behaviour),
            "uploadSpeed": self.upload_speed,
            "queueLength": self.queue_length,
            "freeSlot": self.free_slot,
            "delayS": self.delay_s,
            "upload": str(self.upload),
            "queueS": self.queue_s,
            "place": self.place,
            "online": self.online,
            "presence": str(self.presence),
            "description": self.description,
            "picture": None if self.picture is None else base64.b64encode(self.picture).decode(),
            "uploadSlots": self.upload_slots,
            "requests": str(self.requests),
            "shares": [file.as_json() for file in self.files],
        }


def load(path: Path | None = None, seed: int = 0) -> tuple[SharingPeer, ...]:
    """The peers of a library file (the default one when `path` is None), exact for `seed`.

    ValueError with one readable line when the file is not a library."""
    document = read_yaml(path or DEFAULT_LIBRARY)
    entries = document.get("peers") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not entries:
        raise ValueError(f"{path or DEFAULT_LIBRARY}: a library is a mapping with a non-empty `peers:` list")
    peers: list[SharingPeer] = []
    for entry in entries:
        peers.extend(_peers_of(entry, seed))
    names = [peer.username for peer in peers]
    if len(set(names)) != len(names):
        raise ValueError(f"{path or DEFAULT_LIBRARY}: a username appears twice")
    return tuple(peers)


def _peers_of(entry: Any, seed: int) -> list[SharingPeer]:
    if not isinstance(entry, dict) or not isinstance(entry.get("username"), str):
        raise ValueError(f"a library peer needs a `username`: {entry!r}")
    try:
        behaviour = Behaviour(entry.get("behaviour", Behaviour.ANSWERS))
    except ValueError:
        raise ValueError(f"{entry['username']}: behaviour must be one of {', '.join(Behaviour)}") from None
    try:
        upload = Upload(entry.get("upload", Upload.QUEUES))
    except ValueError:
        raise ValueError(f"{entry['username']}: upload must be one of {', '.join(Upload)}") from None
    try:
        requests = Answering(entry.get("requests", Answering.ANSWERS))
    except ValueError:
        raise ValueError(f"{entry['username']}: requests must be one of {', '.join(Answering)}") from None
    count = int(entry.get("count", 1))
    names = (
        [entry["username"]] if count == 1 else [f"{entry['username']}-{n:02d}" for n in range(1, count + 1)]
    )
    return [
        SharingPeer(
            username=name,
            behaviour=behaviour,
            files=_files(name, entry.get("folders", []), seed),
            upload_speed=int(entry.get("upload_speed", 1_048_576)),
            queue_length=int(entry.get("queue_length", 0)),
            free_slot=bool(entry.get("free_slot", True)),
            delay_s=float(entry.get("delay_s", 0.0)),
            upload=upload,
            queue_s=float(entry.get("queue_s", 0.2)),
            place=int(entry.get("place", 1)),
            online=bool(entry.get("online", True)),
            away=bool(entry.get("away", False)),
            description=str(entry.get("description", f"{name}: a simulated peer of slskd-conformance")),
            picture=_picture(seed, name) if entry.get("picture") else None,
            upload_slots=int(entry.get("upload_slots", 1)),
            requests=requests,
        )
        for name in names
    ]


def _files(username: str, folders: Any, seed: int) -> tuple[SharedFile, ...]:
    if not isinstance(folders, list):
        raise ValueError(f"{username}: `folders` is a list of {{path, files, locked, max_size}}")
    files = []
    for folder in folders:
        path, locked = folder["path"], bool(folder.get("locked", False))
        max_size = folder.get("max_size")
        if max_size is not None and (not isinstance(max_size, int) or max_size < 1):
            raise ValueError(f"{username}: {path}: `max_size` is a whole number of bytes, at least 1")
        for name in folder["files"]:
            filename = f"{path}{SEPARATOR}{name}"
            draws = _draws(seed, username, filename)
            file = _file(filename, locked, draws)
            if max_size is not None:  # small files, for transfers: 1 … max_size bytes
                file = SharedFile(file.filename, 1 + draws[4] % max_size, file.attributes, file.locked)
            files.append(file)
    return tuple(files)


def _picture(seed: int, username: str) -> bytes:
    """The peer's picture: PICTURE_BYTES bytes only this seed and user give."""
    return hashlib.shake_256(f"{seed}\0{username}\0picture".encode()).digest(PICTURE_BYTES)


def _draws(seed: int, username: str, filename: str) -> list[int]:
    """Numbers only this seed, user and file give: the file's sizes and attributes."""
    digest = hashlib.sha256(f"{seed}\0{username}\0{filename}".encode()).digest()
    return [int.from_bytes(digest[i : i + 4], "little") for i in range(0, 32, 4)]


def _file(filename: str, locked: bool, draws: list[int]) -> SharedFile:
    length = 120 + draws[0] % 360  # two to eight minutes
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension in LOSSLESS:
        sample_rate = (44_100, 48_000, 96_000)[draws[1] % 3]
        bit_depth = (16, 24)[draws[2] % 2]
        size = length * sample_rate * bit_depth // 8 * 2 * 6 // 10  # about 60% after compression
        attributes = (
            (Attribute.LENGTH, length),
            (Attribute.SAMPLE_RATE, sample_rate),
            (Attribute.BIT_DEPTH, bit_depth),
        )
    elif extension in {"mp3", "ogg", "m4a", "opus"}:
        bit_rate = (128, 192, 256, 320)[draws[1] % 4]
        vbr = draws[2] % 3 == 0
        size = length * bit_rate * 1000 // 8
        attributes = ((Attribute.BIT_RATE, bit_rate), (Attribute.LENGTH, length), (Attribute.VBR, int(vbr)))
    else:  # covers, logs, cue sheets: no audio attributes
        size = 1_000 + draws[1] % 200_000
        attributes = ()
    return SharedFile(filename, size + draws[3] % 1_000, tuple((int(k), v) for k, v in attributes), locked)

"""What a peer shows of itself when asked: its folders (a browse, one folder's contents) and its
user info.

No I/O here: the simulated network (`conformance network`, over real sockets: BrowseResponse 5,
FolderContentsResponse 37, InfoResponse 16) and the reference server's in-process simulation
both answer from these, and the checker compares slskd's answers with them, so all three agree
on every name, size and attribute. A directory is a folder path of the peer's files (`\\`-separated,
as shared); its files carry their bare names, as Soulseek clients write them in both answers
(shared/soulseek/peers-and-apis.md §1.2). Files of a locked folder are the browse's locked
directories, and no folder contents request reaches them.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from conformance.peers.library import ATTRIBUTE_FIELDS, SEPARATOR, Attribute, SharedFile, SharingPeer

# Soulseek.NET's FileAttributeType names, as slskd's JSON writes the enum
ATTRIBUTE_NAMES = {
    Attribute.BIT_RATE: "BitRate",
    Attribute.LENGTH: "Length",
    Attribute.VBR: "VariableBitRate",
    Attribute.SAMPLE_RATE: "SampleRate",
    Attribute.BIT_DEPTH: "BitDepth",
}


@dataclass(frozen=True)
class Directory:
    """One folder as a directory record carries it: its full path and its files by bare name."""

    name: str
    files: tuple[SharedFile, ...]  # each `filename` is the bare name

    def as_json(self) -> dict[str, Any]:
        """slskd's Directory object (Soulseek.NET's Directory and File, as its JSON writes them)."""
        return {"name": self.name, "fileCount": len(self.files), "files": [file_json(f) for f in self.files]}


@dataclass(frozen=True)
class Shares:
    """A browse's answer: the open directories and the locked ones, each in the order shared."""

    directories: tuple[Directory, ...]
    locked_directories: tuple[Directory, ...]


@dataclass(frozen=True)
class UserInfo:
    """A user info answer (InfoResponse 16)."""

    description: str
    picture: bytes | None
    upload_slots: int
    queue_length: int
    free_slot: bool

    def as_json(self) -> dict[str, Any]:
        """slskd's Info object: the picture as base64 (a byte array in its JSON), absent when none."""
        body: dict[str, Any] = {"description": self.description, "hasPicture": self.picture is not None}
        if self.picture is not None:
            body["picture"] = base64.b64encode(self.picture).decode()
        return body | {
            "uploadSlots": self.upload_slots,
            "queueLength": self.queue_length,
            "hasFreeUploadSlot": self.free_slot,
        }


def file_json(file: SharedFile) -> dict[str, Any]:
    """Soulseek.NET's File for a directory record's file: its attributes as a list and as
    properties, those it does not have left out."""
    body: dict[str, Any] = {
        "code": file.code,
        "filename": file.filename,
        "size": file.size,
        "extension": file.extension,
        "attributeCount": len(file.attributes),
        "attributes": [
            {"type": ATTRIBUTE_NAMES[Attribute(kind)], "value": value} for kind, value in file.attributes
        ],
    }
    for kind, value in file.attributes:
        body[ATTRIBUTE_FIELDS[Attribute(kind)]] = bool(value) if kind == Attribute.VBR else value
    return body


def shares(peer: SharingPeer) -> Shares:
    """What a browse of `peer` answers: every folder of its files, the locked ones apart."""
    folders = _folders(peer)
    return Shares(
        directories=tuple(d for d, locked in folders if not locked),
        locked_directories=tuple(d for d, locked in folders if locked),
    )


def folder_contents(peer: SharingPeer, directory: str) -> tuple[Directory, ...]:
    """What a folder contents request for `directory` answers: that open folder (its exact path),
    or no directory at all when the peer shares no such open folder."""
    return tuple(d for d, locked in _folders(peer) if d.name == directory and not locked)


def info(peer: SharingPeer) -> UserInfo:
    """What a user info request answers."""
    return UserInfo(peer.description, peer.picture, peer.upload_slots, peer.queue_length, peer.free_slot)


def _folders(peer: SharingPeer) -> list[tuple[Directory, bool]]:
    """The peer's folders in the order their first file is shared, each with its bare-named files."""
    grouped: dict[str, list[SharedFile]] = {}
    for file in peer.files:
        path, name = file.filename.rsplit(SEPARATOR, 1)
        grouped.setdefault(path, []).append(SharedFile(name, file.size, file.attributes, file.locked))
    return [(Directory(path, tuple(files)), files[0].locked) for path, files in grouped.items()]

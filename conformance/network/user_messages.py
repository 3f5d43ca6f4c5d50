"""Peer messages about a user: a browse (4/5), a user info (15/16) and a folder's contents (36/37).

Layouts as Soulseek.NET reads and writes them (shared/soulseek/peers-and-apis.md §1.2, §1.3):

- BrowseRequest (4) and InfoRequest (15) carry nothing after the code.
- BrowseResponse (5), zlib after the code: uint32 directory count and the directory records,
  uint32 0 (unknown), uint32 locked-directory count and the locked directory records (the last
  two parts are optional for a reader).
- InfoResponse (16), not compressed: string description, byte has-picture (then uint32 length
  and the picture), uint32 upload slots, uint32 queue length, byte has-free-slot.
- FolderContentsRequest (36): uint32 token, string directory. FolderContentsResponse (37), zlib
  after the code: uint32 token, string directory, uint32 directory count, the directory records.

A directory record is string name (the folder's full path), uint32 file count and that many file
records as a search response writes them (`peer_messages.write_file_record`), each file under its
bare name. Both ends of a test build and read through these, as `peer_messages` says.
"""

from __future__ import annotations

from typing import NamedTuple

from conformance.network.codec import Builder, Payload
from conformance.network.peer_messages import (
    PeerCode,
    check_consumed,
    compressed_message,
    inflate,
    payload_of,
    read_file_record,
    shared_file,
    write_file_record,
)
from conformance.peers.browsing import Directory, Shares, UserInfo

UNKNOWN = 0  # the uint32 between a browse's open and locked directories


class FolderContents(NamedTuple):
    """A FolderContentsResponse: the request's token and directory, and the directories sent."""

    token: int
    directory: str
    directories: tuple[Directory, ...]


def build_browse_request() -> bytes:
    return Builder(PeerCode.BROWSE_REQUEST).build()


def build_info_request() -> bytes:
    return Builder(PeerCode.INFO_REQUEST).build()


def build_folder_contents_request(token: int, directory: str) -> bytes:
    return Builder(PeerCode.FOLDER_CONTENTS_REQUEST).uint32(token).string(directory).build()


def parse_folder_contents_request(payload: bytes) -> tuple[int, str]:
    """(token, directory) of a FolderContentsRequest."""
    reader = Payload(payload)
    token, directory = reader.uint32(), reader.string()
    check_consumed(reader, "the folder contents request")
    return token, directory


def build_browse_response(shares: Shares) -> bytes:
    builder = Builder(0)
    _write_directories(builder, shares.directories)
    builder.uint32(UNKNOWN)
    _write_directories(builder, shares.locked_directories)
    return compressed_message(PeerCode.BROWSE_RESPONSE, payload_of(builder))


def parse_browse_response(payload: bytes) -> Shares:
    """A BrowseResponse's compressed payload; the files of its locked directories are locked."""
    reader = Payload(inflate(payload))
    directories = _read_directories(reader, locked=False)
    locked: tuple[Directory, ...] = ()
    if reader.remaining:
        reader.uint32()  # unknown
        locked = _read_directories(reader, locked=True)
    check_consumed(reader, "the browse response")
    return Shares(directories, locked)


def build_info_response(info: UserInfo) -> bytes:
    builder = Builder(PeerCode.INFO_RESPONSE).string(info.description)
    if info.picture is None:
        builder.byte(0)
    else:
        builder.byte(1).blob(info.picture)
    return builder.uint32(info.upload_slots).uint32(info.queue_length).byte(int(info.free_slot)).build()


def parse_info_response(payload: bytes) -> UserInfo:
    """An InfoResponse; what follows its last field is ignored, as Soulseek.NET ignores it."""
    reader = Payload(payload)
    description = reader.string()
    picture = reader.blob() if reader.byte() else None
    upload_slots, queue_length, free_slot = reader.uint32(), reader.uint32(), reader.byte()
    return UserInfo(description, picture, upload_slots, queue_length, bool(free_slot))


def build_folder_contents_response(token: int, directory: str, directories: tuple[Directory, ...]) -> bytes:
    builder = Builder(0).uint32(token).string(directory)
    _write_directories(builder, directories)
    return compressed_message(PeerCode.FOLDER_CONTENTS_RESPONSE, payload_of(builder))


def parse_folder_contents_response(payload: bytes) -> FolderContents:
    reader = Payload(inflate(payload))
    token, directory = reader.uint32(), reader.string()
    directories = _read_directories(reader, locked=False)
    check_consumed(reader, "the folder contents response")
    return FolderContents(token, directory, directories)


def _write_directories(builder: Builder, directories: tuple[Directory, ...]) -> None:
    builder.uint32(len(directories))
    for directory in directories:
        builder.string(directory.name).uint32(len(directory.files))
        for file in directory.files:
            write_file_record(builder, file)


def _read_directories(reader: Payload, *, locked: bool) -> tuple[Directory, ...]:
    directories = []
    for _ in range(reader.uint32()):
        name = reader.string()
        files = tuple(shared_file(read_file_record(reader), locked) for _ in range(reader.uint32()))
        directories.append(Directory(name, files))
    return tuple(directories)

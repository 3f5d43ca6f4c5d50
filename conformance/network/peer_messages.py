"""Frames between two Soulseek peers: the init frames and the peer messages the network speaks.

Two kinds of frame cross a peer connection. The first frame on it is an *init* frame:
`uint32 length`, a 1-byte code, payload (PeerInit 1: string username, string type, uint32
token; PierceFirewall 0: uint32 token). Every later frame is a *peer message*: `uint32 length`,
`uint32 code`, payload; SearchResponse (9) compresses everything after its code with zlib (the
stream carries the zlib header). Field encodings are the server protocol's
(`conformance.network.codec`), so a string is `uint32 byte-length` + UTF-8.

Builders and readers live together so both ends of a test use one definition of the layout: the
simulated peers build with it, the reference server's Soulseek client and the tests read with it.
A reader raises `ProtocolError` for a frame that lies about its lengths or does not inflate.
"""

from __future__ import annotations

import socket
import zlib
from enum import IntEnum
from typing import NamedTuple

from conformance.network.codec import (
    HEADER,
    MAX_FRAME,
    UINT32,
    Builder,
    Frame,
    Payload,
    ProtocolError,
    read_exactly,
)
from conformance.peers.library import SharedFile
from conformance.peers.responses import PeerResponse

MAX_INFLATED = 16 << 20  # a search response of many thousands of files still fits


class InitCode(IntEnum):
    """The 1-byte codes of a peer connection's first frame."""

    PIERCE_FIREWALL = 0
    PEER_INIT = 1


class PeerCode(IntEnum):
    """Peer message codes (4 bytes) the network understands."""

    BROWSE_REQUEST = 4
    BROWSE_RESPONSE = 5
    SEARCH_RESPONSE = 9
    INFO_REQUEST = 15
    INFO_RESPONSE = 16
    FOLDER_CONTENTS_REQUEST = 36
    FOLDER_CONTENTS_RESPONSE = 37
    TRANSFER_REQUEST = 40
    TRANSFER_RESPONSE = 41
    QUEUE_DOWNLOAD = 43
    PLACE_IN_QUEUE_RESPONSE = 44
    UPLOAD_FAILED = 46
    UPLOAD_DENIED = 50
    PLACE_IN_QUEUE_REQUEST = 51


class Direction(IntEnum):
    """TransferRequest's direction, from the sender's side."""

    DOWNLOAD = 0  # "send me this file"
    UPLOAD = 1  # "I am ready to send you this file"


class PeerInit(NamedTuple):
    username: str
    type: str  # "P" (messages), "F" (file transfer), "D" (distributed)
    token: int


class PierceFirewall(NamedTuple):
    token: int


# ---- init frames --------------------------------------------------------------------------------


def _init_frame(code: int, payload: bytes) -> bytes:
    body = bytes((code,)) + payload
    return HEADER.pack(len(body)) + body


def _string(value: str) -> bytes:
    encoded = value.encode("utf-8")
    return UINT32.pack(len(encoded)) + encoded


def build_peer_init(username: str, type_: str, token: int) -> bytes:
    """PeerInit: the connecting side names itself and the connection type."""
    return _init_frame(InitCode.PEER_INIT, _string(username) + _string(type_) + UINT32.pack(token))


def build_pierce_firewall(token: int) -> bytes:
    """PierceFirewall: answers a ConnectToPeer relayed by the server, carrying its token."""
    return _init_frame(InitCode.PIERCE_FIREWALL, UINT32.pack(token))


def parse_init(body: bytes) -> PeerInit | PierceFirewall:
    """An init frame's body (code byte + payload, without the length)."""
    if not body:
        raise ProtocolError("an init frame without its code")
    reader = Payload(body[1:])
    if body[0] == InitCode.PEER_INIT:
        message: PeerInit | PierceFirewall = PeerInit(reader.string(), reader.string(), reader.uint32())
    elif body[0] == InitCode.PIERCE_FIREWALL:
        message = PierceFirewall(reader.uint32())
    else:
        raise ProtocolError(f"unknown init code {body[0]}")
    if reader.remaining:
        raise ProtocolError(f"{reader.remaining} bytes after the init message")
    return message


def _body_length(header: bytes, least: int) -> int:
    (length,) = HEADER.unpack(header)
    if length < least or length > MAX_FRAME:
        raise ProtocolError(f"peer frame length {length} out of range")
    return length


def read_init(sock: socket.socket) -> PeerInit | PierceFirewall:
    """The first frame of a peer connection, from a blocking socket."""
    return parse_init(read_exactly(sock, _body_length(read_exactly(sock, HEADER.size), 1)))


def read_message(sock: socket.socket) -> Frame:
    """One peer message (4-byte code) from a blocking socket; the payload as sent (compressed)."""
    body = read_exactly(sock, _body_length(read_exactly(sock, HEADER.size), UINT32.size))
    (code,) = UINT32.unpack_from(body)
    return Frame(code, body[UINT32.size :])


# ---- transfers (peers-and-apis.md §1.4) ------------------------------------------------------------


class TransferRequest(NamedTuple):
    direction: int
    token: int
    filename: str
    size: int | None  # None when the sender left it out (Soulseek.NET always writes it)


class TransferResponse(NamedTuple):
    token: int
    allowed: bool
    size: int | None  # only when allowed, and only if the sender wrote it
    reason: str | None  # only when not allowed


def build_transfer_request(direction: int, token: int, filename: str, size: int = 0) -> bytes:
    """TransferRequest (40): the size always written, 0 for a download as Soulseek.NET sends it."""
    return (
        Builder(PeerCode.TRANSFER_REQUEST)
        .uint32(direction)
        .uint32(token)
        .string(filename)
        .uint64(size)
        .build()
    )


def parse_transfer_request(payload: bytes) -> TransferRequest:
    reader = Payload(payload)
    direction, token, filename = reader.uint32(), reader.uint32(), reader.string()
    size = reader.uint64() if reader.remaining else None
    check_consumed(reader, "TransferRequest")
    return TransferRequest(direction, token, filename, size)


def build_transfer_response(token: int, allowed: bool, *, size: int | None = None, reason: str = "") -> bytes:
    """TransferResponse (41): allowed with an optional size, or refused with its reason."""
    builder = Builder(PeerCode.TRANSFER_RESPONSE).uint32(token).byte(1 if allowed else 0)
    if allowed and size is not None:
        builder.uint64(size)
    elif not allowed:
        builder.string(reason)
    return builder.build()


def parse_transfer_response(payload: bytes) -> TransferResponse:
    reader = Payload(payload)
    token, allowed = reader.uint32(), bool(reader.byte())
    size = reader.uint64() if allowed and reader.remaining else None
    reason = None if allowed else reader.string()
    check_consumed(reader, "TransferResponse")
    return TransferResponse(token, allowed, size, reason)


def _filename_only(code: PeerCode, filename: str) -> bytes:
    return Builder(code).string(filename).build()


def build_queue_download(filename: str) -> bytes:
    """QueueDownload (43): "queue this file for me" (what Nicotine+ and aioslsk send)."""
    return _filename_only(PeerCode.QUEUE_DOWNLOAD, filename)


def build_place_in_queue_request(filename: str) -> bytes:
    """PlaceInQueueRequest (51)."""
    return _filename_only(PeerCode.PLACE_IN_QUEUE_REQUEST, filename)


def build_upload_failed(filename: str) -> bytes:
    """UploadFailed (46)."""
    return _filename_only(PeerCode.UPLOAD_FAILED, filename)


def parse_filename(payload: bytes) -> str:
    """The payload of 43, 46 or 51: one string."""
    reader = Payload(payload)
    filename = reader.string()
    check_consumed(reader, "the message")
    return filename


def build_place_in_queue_response(filename: str, place: int) -> bytes:
    """PlaceInQueueResponse (44)."""
    return Builder(PeerCode.PLACE_IN_QUEUE_RESPONSE).string(filename).uint32(place).build()


def parse_place_in_queue_response(payload: bytes) -> tuple[str, int]:
    reader = Payload(payload)
    filename, place = reader.string(), reader.uint32()
    check_consumed(reader, "PlaceInQueueResponse")
    return filename, place


def build_upload_denied(filename: str, reason: str) -> bytes:
    """UploadDenied (50)."""
    return Builder(PeerCode.UPLOAD_DENIED).string(filename).string(reason).build()


def parse_upload_denied(payload: bytes) -> tuple[str, str]:
    reader = Payload(payload)
    filename, reason = reader.string(), reader.string()
    check_consumed(reader, "UploadDenied")
    return filename, reason


def check_consumed(reader: Payload, what: str) -> None:
    """A message's reader must have taken every byte: more is a ProtocolError."""
    if reader.remaining:
        raise ProtocolError(f"{reader.remaining} bytes after {what}")


# ---- SearchResponse -----------------------------------------------------------------------------


def write_file_record(builder: Builder, file: SharedFile) -> None:
    """A file record as search responses and directory records (user_messages) write it."""
    builder.byte(file.code).string(file.filename).uint64(file.size).string(file.extension)
    builder.uint32(len(file.attributes))
    for kind, value in file.attributes:
        builder.uint32(kind).uint32(value)


def search_response_payload(response: PeerResponse) -> bytes:
    """The uncompressed payload of SearchResponse (what follows the code before zlib)."""
    builder = Builder(0)
    builder.string(response.username).uint32(response.token).uint32(len(response.files))
    for file in response.files:
        write_file_record(builder, file)
    builder.byte(1 if response.free_slot else 0).uint32(response.upload_speed)
    builder.uint32(response.queue_length).uint32(0).uint32(len(response.locked_files))
    for file in response.locked_files:
        write_file_record(builder, file)
    return payload_of(builder)


def payload_of(builder: Builder) -> bytes:
    """What a builder wrote after the code (its code is a placeholder: Builder always writes one)."""
    return builder.build()[HEADER.size + UINT32.size :]


def compressed_message(code: PeerCode, payload: bytes) -> bytes:
    """A peer message whose payload is zlib-compressed: length, code, zlib(payload)."""
    body = UINT32.pack(code) + zlib.compress(payload)
    return HEADER.pack(len(body)) + body


def build_search_response(response: PeerResponse) -> bytes:
    """SearchResponse (peer code 9): length, code, zlib(payload)."""
    return compressed_message(PeerCode.SEARCH_RESPONSE, search_response_payload(response))


def inflate(payload: bytes) -> bytes:
    """A compressed peer payload, inflated with a bound (a zip bomb is a ProtocolError)."""
    inflater = zlib.decompressobj()
    try:
        data = inflater.decompress(payload, MAX_INFLATED)
    except zlib.error as exc:
        raise ProtocolError(f"a peer payload does not inflate: {exc}") from exc
    if inflater.unconsumed_tail:
        raise ProtocolError(f"a peer payload inflates past {MAX_INFLATED} bytes")
    if not inflater.eof:
        raise ProtocolError("a peer payload's zlib stream is truncated")
    return data


class FileRecord(NamedTuple):
    """A file record exactly as sent, the extension included (SharedFile derives its own)."""

    code: int
    filename: str
    size: int
    extension: str
    attributes: tuple[tuple[int, int], ...]


def read_file_record(reader: Payload) -> FileRecord:
    """A file record, field by field (a search response's, a directory record's)."""
    code, filename, size, extension = reader.byte(), reader.string(), reader.uint64(), reader.string()
    attributes = tuple((reader.uint32(), reader.uint32()) for _ in range(reader.uint32()))
    return FileRecord(code, filename, size, extension, attributes)


class SearchResponseRecords(NamedTuple):
    """A SearchResponse with its file records as sent (for layout checks)."""

    username: str
    token: int
    files: tuple[FileRecord, ...]
    free_slot: int
    upload_speed: int
    queue_length: int
    unknown: int
    locked_files: tuple[FileRecord, ...]


def parse_search_response_records(payload: bytes) -> SearchResponseRecords:
    """SearchResponse's compressed payload, field by field as sent."""
    reader = Payload(inflate(payload))
    username, token = reader.string(), reader.uint32()
    files = tuple(read_file_record(reader) for _ in range(reader.uint32()))
    free_slot, upload_speed, queue_length, unknown = (
        reader.byte(),
        reader.uint32(),
        reader.uint32(),
        reader.uint32(),
    )
    locked = tuple(read_file_record(reader) for _ in range(reader.uint32())) if reader.remaining else ()
    if reader.remaining:
        raise ProtocolError(f"{reader.remaining} bytes after the search response")
    return SearchResponseRecords(
        username, token, files, free_slot, upload_speed, queue_length, unknown, locked
    )


def shared_file(record: FileRecord, locked: bool) -> SharedFile:
    """The SharedFile a record carries (its extension is derived again, from the name)."""
    return SharedFile(filename=record.filename, size=record.size, attributes=record.attributes, locked=locked)


def parse_search_response(payload: bytes) -> PeerResponse:
    """SearchResponse's compressed payload (after the code) as the PeerResponse it carries."""
    records = parse_search_response_records(payload)
    return PeerResponse(
        username=records.username,
        token=records.token,
        files=tuple(shared_file(record, False) for record in records.files),
        locked_files=tuple(shared_file(record, True) for record in records.locked_files),
        free_slot=bool(records.free_slot),
        upload_speed=records.upload_speed,
        queue_length=records.queue_length,
    )


def read_search_response(frame: Frame) -> PeerResponse:
    """A peer message that must be a SearchResponse."""
    if frame.code != PeerCode.SEARCH_RESPONSE:
        raise ProtocolError(f"peer code {frame.code} is not SearchResponse ({PeerCode.SEARCH_RESPONSE})")
    return parse_search_response(frame.payload)


__all__ = [
    "Direction",
    "FileRecord",
    "InitCode",
    "PeerCode",
    "PeerInit",
    "PierceFirewall",
    "SearchResponseRecords",
    "TransferRequest",
    "TransferResponse",
    "build_peer_init",
    "build_pierce_firewall",
    "build_place_in_queue_request",
    "build_place_in_queue_response",
    "build_queue_download",
    "build_search_response",
    "build_transfer_request",
    "build_transfer_response",
    "build_upload_denied",
    "build_upload_failed",
    "check_consumed",
    "compressed_message",
    "inflate",
    "parse_filename",
    "parse_init",
    "parse_place_in_queue_response",
    "parse_search_response",
    "parse_search_response_records",
    "parse_transfer_request",
    "parse_transfer_response",
    "parse_upload_denied",
    "payload_of",
    "read_file_record",
    "read_init",
    "read_message",
    "read_search_response",
    "search_response_payload",
    "shared_file",
    "write_file_record",
]

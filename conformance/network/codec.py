"""The Soulseek server protocol's framing: one module for both ends of the connection.

A frame is `uint32 length` (little-endian, counting the code and the payload), `uint32 code`,
payload. Integers are little-endian, a string is `uint32 byte-length` + bytes (UTF-8; a peer
that cannot encode falls back to ISO-8859-1, so undecodable bytes are read that way), a bool is
one byte. The simulated network (`conformance.network.server`) and the reference server's
Soulseek client (`conformance.reference.soulseek`) both read and write through this module, so
a fault in the framing shows on both sides of every test.

Nothing here trusts a length: a frame longer than `MAX_FRAME`, shorter than its code, or a
field that runs past the end of its frame raises `ProtocolError`, which the caller answers by
closing the connection.
"""

from __future__ import annotations

import ipaddress
import socket
import struct
from enum import IntEnum
from typing import NamedTuple

MAX_FRAME = 1 << 20  # far above any message slskd exchanges with the server (a shares count, a PM)
HEADER = struct.Struct("<I")
UINT16, INT32 = struct.Struct("<H"), struct.Struct("<i")
UINT32, UINT64 = struct.Struct("<I"), struct.Struct("<Q")


class Code(IntEnum):
    """Server message codes (Soulseek.NET `MessageCode.Server`) the network understands."""

    LOGIN = 1
    SET_LISTEN_PORT = 2
    GET_PEER_ADDRESS = 3
    WATCH_USER = 5
    UNWATCH_USER = 6
    GET_STATUS = 7
    SAY_IN_CHAT_ROOM = 13
    LEAVE_ROOM = 15
    USER_JOINED_ROOM = 16
    USER_LEFT_ROOM = 17
    CONNECT_TO_PEER = 18
    FILE_SEARCH = 26
    PRIVATE_MESSAGE = 22
    ACKNOWLEDGE_PRIVATE_MESSAGE = 23
    SET_ONLINE_STATUS = 28
    PING = 32
    SHARED_FOLDERS_AND_FILES = 35
    GET_USER_STATS = 36
    JOIN_ROOM = 14
    KICKED_FROM_SERVER = 41
    ROOM_LIST = 64
    HAVE_NO_PARENTS = 71
    CHECK_PRIVILEGES = 92
    ACCEPT_CHILDREN = 100
    ROOM_TICKER_ADD = 114
    SET_ROOM_TICKER = 116
    SEND_UPLOAD_SPEED = 121
    BRANCH_LEVEL = 126
    BRANCH_ROOT = 127
    CHILD_DEPTH = 129
    PRIVATE_ROOM_ADD_USER = 134
    PRIVATE_ROOM_TOGGLE = 141
    CANT_CONNECT_TO_PEER = 1001
    CANNOT_JOIN_ROOM = 1003


class ProtocolError(Exception):
    """A frame or a field that lies about its length: the connection cannot be trusted further."""


class Frame(NamedTuple):
    code: int
    payload: bytes

    def reader(self) -> Payload:
        return Payload(self.payload)


def body_length(header: bytes) -> int:
    """The number of bytes that follow a frame's length field; ProtocolError when it lies."""
    (length,) = HEADER.unpack(header)
    if length < UINT32.size:
        raise ProtocolError(f"frame length {length} leaves no room for its code")
    if length > MAX_FRAME:
        raise ProtocolError(f"frame length {length} exceeds {MAX_FRAME} bytes")
    return length


def split_body(body: bytes) -> Frame:
    """A frame's body (code + payload), as `body_length` announced it."""
    (code,) = UINT32.unpack_from(body)
    return Frame(code, body[UINT32.size :])


class Payload:
    """Reads fields in order; running past the end of the frame is a ProtocolError."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._at = 0

    @property
    def remaining(self) -> int:
        return len(self._data) - self._at

    def _take(self, size: int) -> bytes:
        if size > self.remaining:
            raise ProtocolError(f"a field of {size} bytes runs past the frame ({self.remaining} left)")
        chunk = self._data[self._at : self._at + size]
        self._at += size
        return chunk

    def byte(self) -> int:
        return self._take(1)[0]

    def uint16(self) -> int:
        return UINT16.unpack(self._take(UINT16.size))[0]

    def int32(self) -> int:
        return INT32.unpack(self._take(INT32.size))[0]

    def uint32(self) -> int:
        return UINT32.unpack(self._take(UINT32.size))[0]

    def uint64(self) -> int:
        return UINT64.unpack(self._take(UINT64.size))[0]

    def string(self) -> str:
        raw = self._take(self.uint32())
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode("latin-1")

    def blob(self) -> bytes:
        """A length-prefixed byte string (a user info's picture)."""
        return self._take(self.uint32())

    def ipv4(self) -> str:
        """An address as the protocol writes it: the four octets in reverse order."""
        return str(ipaddress.IPv4Address(self._take(4)[::-1]))


class Builder:
    """Writes one frame: `Builder(Code.PING).build()`; each field method returns the builder."""

    def __init__(self, code: int) -> None:
        self._parts = [UINT32.pack(code)]

    def byte(self, value: int) -> Builder:
        self._parts.append(bytes((value,)))
        return self

    def uint16(self, value: int) -> Builder:
        self._parts.append(UINT16.pack(value))
        return self

    def int32(self, value: int) -> Builder:
        self._parts.append(INT32.pack(value))
        return self

    def uint32(self, value: int) -> Builder:
        self._parts.append(UINT32.pack(value))
        return self

    def uint64(self, value: int) -> Builder:
        self._parts.append(UINT64.pack(value))
        return self

    def string(self, value: str) -> Builder:
        encoded = value.encode("utf-8")
        self._parts.append(UINT32.pack(len(encoded)) + encoded)
        return self

    def blob(self, value: bytes) -> Builder:
        self._parts.append(UINT32.pack(len(value)) + value)
        return self

    def ipv4(self, address: str) -> Builder:
        self._parts.append(ipaddress.IPv4Address(address).packed[::-1])
        return self

    def build(self) -> bytes:
        body = b"".join(self._parts)
        return HEADER.pack(len(body)) + body


def read_frame(sock: socket.socket) -> Frame:
    """One frame from a blocking socket; ConnectionError at end of stream."""
    return split_body(read_exactly(sock, body_length(read_exactly(sock, HEADER.size))))


def read_exactly(sock: socket.socket, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = sock.recv(min(left, 65536))
        if not chunk:
            raise ConnectionError("the server closed the connection")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)

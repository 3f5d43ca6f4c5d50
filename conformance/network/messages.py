"""The server messages slskd exchanges with the Soulseek server, both directions, as functions.

Field layouts follow Soulseek.NET (`src/Messaging/Messages/Server/`), the library slskd uses;
see `../shared/soulseek/protocol-notes.md`. Writers return a whole frame; readers take the
`Payload` after the code and raise `ProtocolError` when a field is missing. Trailing bytes are
left unread: newer clients append fields older servers never read.
"""

from __future__ import annotations

import hashlib
from typing import NamedTuple

from conformance.network.codec import Builder, Code, Payload

OFFLINE, AWAY, ONLINE = 0, 1, 2  # UserPresence
CLIENT_VERSION, MINOR_VERSION = 160, 1  # what the reference's client announces


class LoginRequest(NamedTuple):
    username: str
    password: str
    version: int
    hash: str
    minor_version: int


class PrivateMessage(NamedTuple):
    """A private message as the server delivers it."""

    id: int
    timestamp: int  # whole Unix seconds
    username: str  # the sender
    message: str
    is_new: bool  # False: replayed, delivered again at login because it was never acknowledged


class PeerAddress(NamedTuple):
    """Where a user takes peer connections, as the server hands it out (0.0.0.0:0: nowhere)."""

    address: str
    port: int
    obfuscated_port: int = 0  # 0: the user announced no obfuscated port


class PeerConnectRequest(NamedTuple):
    """ConnectToPeer from a client: ask `username` to connect to the sender (an indirect connection)."""

    token: int
    username: str
    type: str  # "P" messages, "F" a file transfer, "D" the distributed network


class LoginResult(NamedTuple):
    succeeded: bool
    message: str  # greeting or reason
    address: str | None  # the client's address as the server sees it


def credentials_hash(username: str, password: str) -> str:
    """The MD5 hex digest of username + password that a login carries (not a secret store)."""
    return hashlib.md5((username + password).encode("utf-8"), usedforsecurity=False).hexdigest()


# --- client → server ---------------------------------------------------------------------------
def login_request(username: str, password: str) -> bytes:
    return (
        Builder(Code.LOGIN)
        .string(username)
        .string(password)
        .uint32(CLIENT_VERSION)
        .string(credentials_hash(username, password))
        .uint32(MINOR_VERSION)
        .build()
    )


def read_login_request(payload: Payload) -> LoginRequest:
    username, password, version = payload.string(), payload.string(), payload.uint32()
    hash_, minor = (payload.string(), payload.uint32()) if payload.remaining else ("", 0)
    return LoginRequest(username, password, version, hash_, minor)


def set_listen_port(port: int, obfuscated_port: int = 0) -> bytes:
    builder = Builder(Code.SET_LISTEN_PORT).uint32(port)
    if obfuscated_port:
        builder.uint32(1).uint32(obfuscated_port)
    return builder.build()


def read_set_listen_port(payload: Payload) -> tuple[int, int]:
    """(port, obfuscated port or 0): the obfuscation fields are optional (slskd never sends them)."""
    port = payload.uint32()
    if payload.remaining < 8:
        return port, 0
    obfuscation, obfuscated_port = payload.uint32(), payload.uint32()
    return port, obfuscated_port if obfuscation else 0


def set_online_status(status: int) -> bytes:
    return Builder(Code.SET_ONLINE_STATUS).uint32(status).build()


def private_message_command(username: str, message: str) -> bytes:
    return Builder(Code.PRIVATE_MESSAGE).string(username).string(message).build()


def connect_to_peer_request(token: int, username: str, type_: str) -> bytes:
    return Builder(Code.CONNECT_TO_PEER).uint32(token).string(username).string(type_).build()


def read_connect_to_peer_request(payload: Payload) -> PeerConnectRequest:
    return PeerConnectRequest(payload.uint32(), payload.string(), payload.string())


def cant_connect_to_peer(token: int, username: str) -> bytes:
    """Both directions: the client that failed names the requester; the server, relaying it,
    names the user who could not connect (Nicotine+ and aioslsk read the token only)."""
    return Builder(Code.CANT_CONNECT_TO_PEER).uint32(token).string(username).build()


def read_cant_connect_to_peer(payload: Payload) -> tuple[int, str | None]:
    """(token, the requester); a client may leave the requester out, and then it reaches no one."""
    token = payload.uint32()
    return token, payload.string() if payload.remaining else None


def read_private_message_command(payload: Payload) -> tuple[str, str]:
    return payload.string(), payload.string()


def acknowledge(message_id: int) -> bytes:
    return Builder(Code.ACKNOWLEDGE_PRIVATE_MESSAGE).uint32(message_id).build()


def username_request(code: Code, username: str) -> bytes:
    """WatchUser, UnwatchUser, GetStatus, GetPeerAddress, GetUserStats: one username."""
    return Builder(code).string(username).build()


def ping() -> bytes:
    return Builder(Code.PING).build()


# --- server → client ---------------------------------------------------------------------------
def login_accepted(greeting: str, address: str, password: str) -> bytes:
    password_hash = hashlib.md5(password.encode("utf-8"), usedforsecurity=False).hexdigest()
    return Builder(Code.LOGIN).byte(1).string(greeting).ipv4(address).string(password_hash).byte(0).build()


def login_rejected(reason: str) -> bytes:
    return Builder(Code.LOGIN).byte(0).string(reason).build()


def read_login_response(payload: Payload) -> LoginResult:
    succeeded = payload.byte() == 1
    message = payload.string()
    return LoginResult(succeeded, message, payload.ipv4() if succeeded else None)


def private_message(message: PrivateMessage) -> bytes:
    return (
        Builder(Code.PRIVATE_MESSAGE)
        .uint32(message.id)
        .uint32(message.timestamp)
        .string(message.username)
        .string(message.message)
        .byte(1 if message.is_new else 0)
        .build()
    )


def read_private_message(payload: Payload) -> PrivateMessage:
    id_, timestamp, username, text = payload.uint32(), payload.uint32(), payload.string(), payload.string()
    return PrivateMessage(id_, timestamp, username, text, payload.byte() == 1)


def user_status(username: str, status: int) -> bytes:
    return Builder(Code.GET_STATUS).string(username).uint32(status).byte(0).build()


def read_user_status(payload: Payload) -> tuple[str, int, bool]:
    """GetStatus's answer: (username, status: OFFLINE, AWAY or ONLINE, privileged)."""
    return payload.string(), payload.uint32(), payload.byte() == 1


def watch_user(username: str, status: int | None) -> bytes:
    """The WatchUser answer; `status` None: no such user on the network.

    A user who exists gets the status and the stats; one who is online or away also gets a
    country code (empty here: the network knows no countries), which the real server leaves
    out for an offline user."""
    builder = Builder(Code.WATCH_USER).string(username).byte(status is not None)
    if status is not None:
        builder.uint32(status).uint32(0).uint64(0).uint32(0).uint32(0)  # speed, uploads, files, dirs
        if status != OFFLINE:
            builder.string("")
    return builder.build()


def peer_address(username: str, where: PeerAddress) -> bytes:
    """The whole answer the real server sends: after the port, uint32 obfuscation (1 when there
    is an obfuscated port, else 0) and the obfuscated port as a uint16. Soulseek.NET stops
    reading at the port; Nicotine+ reads both fields and drops a frame that lacks them."""
    return (
        Builder(Code.GET_PEER_ADDRESS)
        .string(username)
        .ipv4(where.address)
        .uint32(where.port)
        .uint32(1 if where.obfuscated_port else 0)
        .uint16(where.obfuscated_port)
        .build()
    )


def connect_to_peer(requester: str, type_: str, where: PeerAddress, token: int) -> bytes:
    """ConnectToPeer as the server passes it on: who asks, for what, where to reach them, the
    token, privileged, then the obfuscation type and the obfuscated port, both uint32 here
    (GetPeerAddress has the port as a uint16)."""
    return (
        Builder(Code.CONNECT_TO_PEER)
        .string(requester)
        .string(type_)
        .ipv4(where.address)
        .uint32(where.port)
        .uint32(token)
        .byte(0)
        .uint32(1 if where.obfuscated_port else 0)
        .uint32(where.obfuscated_port)
        .build()
    )


def user_stats(username: str) -> bytes:
    return Builder(Code.GET_USER_STATS).string(username).uint32(0).uint64(0).uint32(0).uint32(0).build()


def privileges(seconds: int) -> bytes:
    return Builder(Code.CHECK_PRIVILEGES).uint32(seconds).build()


def kicked() -> bytes:
    return Builder(Code.KICKED_FROM_SERVER).build()

"""The sharing peers' upload side: download requests served over real sockets, per each peer's
`upload` behaviour (`conformance.peers.uploads.Upload`), every byte recorded in a `TransferLog`.

A downloader's request reaches a peer on any message connection between them (one the peer
opened to deliver search results, or one the downloader opened with PeerInit P or answered with
PierceFirewall): `SharingPeers` hands every such connection's peer messages to `Uploads.serve`.
What a peer answers (shared/soulseek/peers-and-apis.md §1.4):

- TransferRequest(0, T, file) for a file it does not share, or from a REFUSES peer:
  TransferResponse(T, 0, "File not shared."); QueueDownload(file) (Nicotine+'s, aioslsk's form):
  UploadDenied(file, "File not shared.").
- AT_ONCE: TransferResponse(T, 1, size); the downloader then opens the F connection (PeerInit F +
  the 4 raw bytes T on the peer's port, or PierceFirewall after its ConnectToPeer F, then T).
- SILENT: nothing.
- otherwise TransferResponse(T, 0, "Queued") (not for QueueDownload) and PlaceInQueueResponse;
  `queue_s` later DENIES sends UploadDenied(file, "Banned"), FAILS UploadFailed(file), the others
  their own TransferRequest(1, U, file, size) (RESIZES: size + 1) and, on TransferResponse(U, 1),
  open the F connection: directly to the downloader's listen port (PeerInit(peer, "F", U) + U) or,
  when that fails, indirectly (the server sends the downloader ConnectToPeer F with the peer's port;
  the PierceFirewall that arrives gets the 4 raw bytes U).

On the F connection the downloader writes the 8-byte offset; the peer writes `content` from it
to the end (DROPS: the first attempt at a file stops after half its bytes and resets the
connection once they have arrived).
PlaceInQueueRequest(file) is answered PlaceInQueueResponse(file, place) whatever the behaviour;
a browse, a user info and a folder contents request go to `browsing`.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import itertools
import logging
import socket
import struct
import termios
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol

from conformance.network import browsing
from conformance.network.codec import HEADER, MAX_FRAME, UINT32, UINT64, ProtocolError
from conformance.network.peer_messages import (
    Direction,
    PeerCode,
    build_place_in_queue_response,
    build_transfer_request,
    build_transfer_response,
    build_upload_denied,
    build_upload_failed,
    parse_filename,
    parse_transfer_request,
    parse_transfer_response,
)
from conformance.peers.library import SharedFile, SharingPeer
from conformance.peers.transfer_log import TransferLog
from conformance.peers.uploads import (
    BANNED,
    NOT_SHARED,
    QUEUED,
    Upload,
    announced_size,
    content,
    drop_after,
)

log = logging.getLogger("conformance.network")
OFFSET_WAIT_S = 10.0  # how long a peer waits for the downloader's 8-byte offset
CHUNK = 16384
FIRST_UPLOAD_TOKEN = 40_000_001

Stream = tuple[asyncio.StreamReader, asyncio.StreamWriter]


class Plumbing(Protocol):
    """The connection work `SharingPeers` does for the uploads (one definition for searches too)."""

    def message_connection(
        self, peer: SharingPeer, downloader: str
    ) -> Coroutine[Any, Any, Stream | None]: ...

    def transfer_connection(
        self, peer: SharingPeer, downloader: str, token: int
    ) -> Coroutine[Any, Any, Stream | None]: ...

    def spawn(self, work: Coroutine[Any, Any, Any]) -> None: ...


@dataclass
class Pending:
    """One download request a peer is serving."""

    peer: SharingPeer
    downloader: str
    file: SharedFile
    index: int  # in the TransferLog
    stop_at: int | None  # DROPS' first attempt: the bytes it sends before closing
    writer: asyncio.StreamWriter  # the message connection the request came on


class Uploads:
    def __init__(self, seed: int, plumbing: Plumbing, clock: Callable[[], float] | None = None) -> None:
        self.seed = seed
        self.log = TransferLog() if clock is None else TransferLog(clock)
        self._plumbing = plumbing
        self._tokens = itertools.count(FIRST_UPLOAD_TOKEN)
        self._answering: dict[int, Pending] = {}  # upload token U → waiting for TransferResponse(U)
        self._expecting: dict[int, Pending] = {}  # 4-byte token → waiting for its F connection

    # --- message connections ---------------------------------------------------------------
    async def serve(
        self,
        peer: SharingPeer,
        downloader: str | None,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        """Read peer messages from `downloader` until the connection ends; answer those about
        transfers. A connection whose other end is not known (None) is only read."""
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                (length,) = HEADER.unpack(await reader.readexactly(HEADER.size))
                if not UINT32.size <= length <= MAX_FRAME:
                    log.info("%s: a %d-byte frame from %s: closing", peer.username, length, downloader)
                    return
                body = await reader.readexactly(length)
                (code,) = UINT32.unpack_from(body)
                if downloader is not None:
                    try:
                        self._message(peer, downloader, writer, code, body[UINT32.size :])
                    except ProtocolError as error:
                        log.info("%s: a bad message %d from %s: %s", peer.username, code, downloader, error)

    def _message(
        self, peer: SharingPeer, downloader: str, writer: asyncio.StreamWriter, code: int, payload: bytes
    ) -> None:
        if code == PeerCode.TRANSFER_REQUEST:
            request = parse_transfer_request(payload)
            if request.direction == Direction.DOWNLOAD:
                self._requested(peer, downloader, writer, request.filename, request.token)
        elif code == PeerCode.QUEUE_DOWNLOAD:
            self._requested(peer, downloader, writer, parse_filename(payload), None)
        elif code == PeerCode.TRANSFER_RESPONSE:
            response = parse_transfer_response(payload)
            pending = self._answering.pop(response.token, None)
            if pending is None:
                return
            if response.allowed:
                self._expecting[response.token] = pending
                self._plumbing.spawn(self._open_transfer(pending, response.token))
            else:
                self.log.ended(pending.index)
        elif code == PeerCode.PLACE_IN_QUEUE_REQUEST:
            _send(writer, build_place_in_queue_response(parse_filename(payload), peer.place))
        elif code in browsing.REQUESTS:
            browsing.answer(peer, downloader, writer, code, payload)

    def _requested(
        self,
        peer: SharingPeer,
        downloader: str,
        writer: asyncio.StreamWriter,
        filename: str,
        token: int | None,
    ) -> None:
        """A download request: TransferRequest(0, token) or, `token` None, QueueDownload."""
        index = self.log.requested(peer.username, downloader, filename, token)
        file = peer.file(filename)
        if file is not None:
            self.log.update(index, size=file.size)
        if file is None or peer.upload == Upload.REFUSES:
            self.log.update(index, answer="refused", reason=NOT_SHARED)
            if token is None:
                _send(writer, build_upload_denied(filename, NOT_SHARED))
            else:
                _send(writer, build_transfer_response(token, False, reason=NOT_SHARED))
            self.log.ended(index)
            return
        if peer.upload == Upload.SILENT:
            return
        attempt = self.log.attempts(peer.username, downloader, filename)
        pending = Pending(peer, downloader, file, index, drop_after(peer.upload, file, attempt), writer)
        if peer.upload == Upload.AT_ONCE and token is not None:
            self.log.update(index, answer="allowed", announced_size=file.size)
            self._expecting[token] = pending
            _send(writer, build_transfer_response(token, True, size=file.size))
            return
        self.log.update(index, answer="queued", reason=None if token is None else QUEUED, place=peer.place)
        if token is not None:
            _send(writer, build_transfer_response(token, False, reason=QUEUED))
        _send(writer, build_place_in_queue_response(filename, peer.place))
        wait = 0.0 if peer.upload == Upload.AT_ONCE else peer.queue_s
        self._plumbing.spawn(self._later(pending, wait))

    async def _later(self, pending: Pending, wait: float) -> None:
        """What a queued request becomes `wait` seconds on."""
        await asyncio.sleep(wait)
        peer, file = pending.peer, pending.file
        if peer.upload == Upload.DENIES:
            frame = build_upload_denied(file.filename, BANNED)
            fields: dict[str, Any] = {"denied": BANNED}
        elif peer.upload == Upload.FAILS:
            frame, fields = build_upload_failed(file.filename), {"failed": True}
        else:
            token = next(self._tokens)
            size = announced_size(peer.upload, file)
            frame = build_transfer_request(Direction.UPLOAD, token, file.filename, size)
            fields = {"upload_token": token, "announced_size": size}
            self._answering[token] = pending
        writer = pending.writer
        if writer.is_closing():  # the downloader let the connection go: the peer opens another
            opened = await self._plumbing.message_connection(peer, pending.downloader)
            if opened is None:
                log.info("%s could not reach %s for %s", peer.username, pending.downloader, file.filename)
                self.log.ended(pending.index)
                return
            reader, writer = opened
            pending.writer = writer
            self._plumbing.spawn(self.serve(peer, pending.downloader, reader, writer))
        self.log.update(pending.index, **fields)
        _send(writer, frame)
        if "upload_token" not in fields:
            self.log.ended(pending.index)

    # --- transfer connections ----------------------------------------------------------------
    async def _open_transfer(self, pending: Pending, token: int) -> None:
        """After TransferResponse(U, 1): the peer opens the F connection (direct, else indirect)."""
        opened = await self._plumbing.transfer_connection(pending.peer, pending.downloader, token)
        if self._expecting.pop(token, None) is None:  # the downloader connected first
            if opened is not None:
                opened[1].close()
            return
        if opened is None:
            log.info(
                "%s could not open a transfer connection to %s", pending.peer.username, pending.downloader
            )
            self.log.ended(pending.index)
            return
        await self.stream(pending, *opened)

    def arrived(self, peer: SharingPeer, token: int) -> Pending | None:
        """An F connection the downloader opened to `peer` carrying `token`: its transfer, if any."""
        pending = self._expecting.get(token)
        if pending is None or pending.peer.username != peer.username:
            return None
        return self._expecting.pop(token)

    async def stream(
        self, pending: Pending, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """The F connection is open: read the offset, write the bytes from it, record them."""
        index, file = pending.index, pending.file
        try:
            raw = await asyncio.wait_for(reader.readexactly(UINT64.size), OFFSET_WAIT_S)
            (offset,) = UINT64.unpack(raw)
            end = file.size if pending.stop_at is None else max(offset, pending.stop_at)
            data = content(self.seed, pending.peer.username, file)[offset:end]
            self.log.update(index, offset=offset)
            digest, sent = hashlib.sha256(), 0
            for start in range(0, len(data), CHUNK):
                chunk = data[start : start + CHUNK]
                writer.write(chunk)
                await writer.drain()
                digest.update(chunk)
                sent += len(chunk)
                self.log.update(index, bytes_sent=sent)
            self.log.update(index, complete=offset + sent == file.size, sha256=digest.hexdigest())
            if pending.stop_at is None:  # let the downloader close first, as real uploaders linger
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(reader.read(1), 3.0)
            else:
                await _reset(writer)
        except (asyncio.IncompleteReadError, ConnectionError, TimeoutError) as error:
            log.info("%s's upload of %s ended: %r", pending.peer.username, file.filename, error)
        finally:
            self.log.ended(index)
            writer.close()


async def _reset(writer: asyncio.StreamWriter) -> None:
    """Drop the connection as a failing network would: once the bytes sent have been taken by
    the other end, a reset (RST), not an orderly close, so a downloader sees a read error (which
    clients retry: aioslsk takes a clean end-of-stream before the size for a cancel)."""
    sock = writer.get_extra_info("socket")
    if sock is None:
        return
    for _ in range(100):  # at most 1 s for the kernel's send queue to empty (loopback: at once)
        try:
            queued = struct.unpack("i", fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0" * 4))[0]
        except OSError:
            break
        if queued == 0:
            break
        await asyncio.sleep(0.01)
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


def _send(writer: asyncio.StreamWriter, frame: bytes) -> None:
    if not writer.is_closing():
        writer.write(frame)

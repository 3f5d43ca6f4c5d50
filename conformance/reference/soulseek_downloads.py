"""The reference's Soulseek client, downloading: Soulseek.NET's download over a peer message connection.

Shared/soulseek/peers-and-apis.md §1.0, §1.4, §2: the message connection (`soulseek_peers`),
TransferRequest(0, T) on it, then TransferResponse(T) queued ("Queued", case and trailing dot
ignored), allowed (the immediate path: the client opens the F connection itself, PeerInit F + T
direct or ConnectToPeer F + PierceFirewall, then the 4 bytes T) or refused; PlaceInQueueResponse;
the peer's TransferRequest(1, U) answered TransferResponse(U, allowed) unless its size is not
the one the download was told (answered "Cancelled": Aborted); the peer's F connection with the
4 bytes U (PeerInit F on the listener, or a relayed ConnectToPeer F answered PierceFirewall;
when neither comes within INDIRECT_S the client opens it itself, as for the immediate path);
the 8-byte offset and exactly size − offset bytes. UploadDenied ends it Rejected, UploadFailed
Errored, a connection that ends early Errored (the emulation retries from the bytes that
arrived), no TransferResponse in `response_timeout_s` TimedOut. Every step goes to the
download's `progress` as `SimulatedNetwork` reports it; the network's control API keeps the
record (`transfer_log()` is None here).
"""

from __future__ import annotations

import contextlib
import queue
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from conformance.network import peer_messages
from conformance.network.codec import UINT32, UINT64, Frame, read_exactly
from conformance.network.peer_messages import Direction, PeerCode
from conformance.reference.download_steps import DownloadProgress, Step
from conformance.reference.network_errors import SoulseekError
from conformance.reference.soulseek_peers import TIMEOUT_S, MessageConnection, log

INDIRECT_S = 10.0  # the peer's F connection after our TransferResponse(U, allowed)
TRANSFER_RESPONSE_S = 15.0  # the peer's answer to TransferRequest(0)
PLACE_S = 5.0  # PlaceInQueueResponse
CHUNK = 65536


class SoulseekDownloads:
    """The downloads of `SoulseekConnection` (which provides `_state`, `_closing`, `_tokens`, and
    the peer connections of `SoulseekPeers`)."""

    def _init_downloads(self) -> None:
        self.response_timeout_s = TRANSFER_RESPONSE_S
        self._expected: dict[tuple[str, int], queue.Queue[socket.socket]] = {}  # F connections (user, U)
        self._by_token: dict[tuple[str, int], _Attempt] = {}  # downloads by (user, token T)
        self._by_file: dict[tuple[str, str], _Attempt] = {}  # downloads by (user, filename)
        self._places: dict[tuple[str, str], list[queue.Queue[int]]] = {}  # PlaceInQueue waiters

    def _downloading_from(self, username: str) -> bool:
        """Soulseek.NET honours a ConnectToPeer F only from a user it has a download from."""
        with self._state:
            return any(user == username for user, _ in self._by_file)

    def download(
        self,
        username: str,
        filename: str,
        size: int,
        progress: DownloadProgress,
        *,
        offset: int = 0,
        cancel: threading.Event | None = None,
        token: int | None = None,
    ) -> None:
        """The message connection now (its failure is the caller's SoulseekError), the rest of
        the download on its own thread, each step to `progress` as `SimulatedNetwork` reports it."""
        connection = self._message_connection(username)
        attempt = _Attempt(
            username,
            filename,
            next(self._tokens) if token is None else token,
            size,
            offset,
            progress,
            cancel or threading.Event(),
        )
        with self._state:
            self._by_token[(username, attempt.token)] = attempt
            self._by_file[(username, filename)] = attempt
        thread = threading.Thread(
            target=self._run, args=(attempt, connection), name=f"download-{username}", daemon=True
        )
        thread.start()

    def place_in_queue(self, username: str, filename: str) -> int:
        """PlaceInQueueRequest(filename) and the place of the first PlaceInQueueResponse for it,
        within PLACE_S (SoulseekError otherwise: the 500 of GET …/position)."""
        connection = self._message_connection(username)
        waiter: queue.Queue[int] = queue.Queue()
        key = (username, filename)
        with self._state:
            self._places.setdefault(key, []).append(waiter)
        try:
            connection.send(peer_messages.build_place_in_queue_request(filename))
            return waiter.get(timeout=PLACE_S)
        except OSError as error:
            raise SoulseekError(f"Failed to send the place in queue request to {username}: {error}") from None
        except queue.Empty:
            raise SoulseekError("The place in queue request timed out") from None
        finally:
            with self._state:
                waiting = self._places.get(key, [])
                if waiter in waiting:
                    waiting.remove(waiter)

    def _transfer_message(self, connection: MessageConnection, frame: Frame) -> None:
        """A peer message about transfers, to the download it concerns (by token or filename)."""
        username, code = connection.username, frame.code
        if code == PeerCode.TRANSFER_RESPONSE:
            response = peer_messages.parse_transfer_response(frame.payload)
            with self._state:
                attempt = self._by_token.get((username, response.token))
            if attempt is not None:
                attempt.events.put(("response", response, connection))
        elif code == PeerCode.TRANSFER_REQUEST:
            request = peer_messages.parse_transfer_request(frame.payload)
            with self._state:
                attempt = self._by_file.get((username, request.filename))
            if request.direction == Direction.UPLOAD and attempt is not None:
                attempt.events.put(("upload", request, connection))
            else:  # nothing of ours to receive, and this client shares nothing
                reason = "Cancelled" if request.direction == Direction.UPLOAD else "File not shared."
                with contextlib.suppress(OSError):
                    connection.send(
                        peer_messages.build_transfer_response(request.token, False, reason=reason)
                    )
        elif code == PeerCode.PLACE_IN_QUEUE_RESPONSE:
            filename, place = peer_messages.parse_place_in_queue_response(frame.payload)
            with self._state:
                waiters = self._places.pop((username, filename), [])
                attempt = self._by_file.get((username, filename))
            for waiter in waiters:
                waiter.put(place)
            if attempt is not None:
                attempt.events.put(("place", place, connection))
        elif code in (PeerCode.UPLOAD_DENIED, PeerCode.UPLOAD_FAILED):
            if code == PeerCode.UPLOAD_DENIED:
                filename, reason = peer_messages.parse_upload_denied(frame.payload)
            else:
                filename, reason = peer_messages.parse_filename(frame.payload), None
            with self._state:
                attempt = self._by_file.get((username, filename))
            if attempt is not None:
                attempt.events.put(
                    ("denied" if code == PeerCode.UPLOAD_DENIED else "failed", reason, connection)
                )

    def _transfer_arrived(self, sock: socket.socket, username: str, where: str) -> None:
        """An F connection from `username` (PeerInit F on the listener, or our PierceFirewall after
        a ConnectToPeer F): its 4 raw bytes are the token of a download waiting for it, or it is
        closed (Soulseek.NET's "unknown token")."""
        try:
            sock.settimeout(TIMEOUT_S)
            (token,) = UINT32.unpack(read_exactly(sock, UINT32.size))
        except (OSError, ConnectionError) as error:
            log.warning("transfer connection %s dropped before its token: %s", where, error)
            self._untrack(sock)
            return
        with self._state:
            waiter = self._expected.pop((username, token), None)
        if waiter is None:
            log.warning(
                "transfer connection %s dropped: token %d is no download's (unknown token)", where, token
            )
            self._untrack(sock)
            return
        waiter.put(sock)

    def _run(self, attempt: _Attempt, connection: MessageConnection) -> None:
        try:
            outcome = self._attempt(attempt, connection)
        except _Stopped:
            return
        finally:
            with self._state:
                if self._by_token.get((attempt.username, attempt.token)) is attempt:
                    del self._by_token[(attempt.username, attempt.token)]
                if self._by_file.get((attempt.username, attempt.filename)) is attempt:
                    del self._by_file[(attempt.username, attempt.filename)]
        if not (self._closing or attempt.cancel.is_set()):
            attempt.progress(Step("ended", outcome=outcome[0], exception=outcome[1]))

    def _attempt(self, a: _Attempt, connection: MessageConnection) -> tuple[str, str | None]:
        """One attempt from TransferRequest(0) to its end: (outcome, exception)."""
        try:
            connection.send(peer_messages.build_transfer_request(Direction.DOWNLOAD, a.token, a.filename))
        except OSError as error:
            return "Errored", f"Failed to send the transfer request: {error}"
        a.progress(Step("requested"))
        early = None  # a TransferRequest(1) before any TransferResponse: the peer is ready at once
        while True:  # the peer's answer to the request
            event = self._next(a, self.response_timeout_s)
            if event is None:
                return "TimedOut", "The transfer request timed out"
            kind, value, _ = event
            if kind == "response":
                break
            if kind == "upload":
                early = event
                break
            ended = _refusal(kind, value)
            if ended is not None:
                return ended
        if early is not None:
            a.events.put(early)
        elif value.allowed:  # the immediate path: the peer lets the download skip its queue
            announced = a.size if value.size is None else value.size
            a.progress(Step("queued"))
            if a.size and announced != a.size:
                return "Aborted", _mismatch(a.size, announced)
            a.progress(Step("initializing", size=announced))
            sock = self._open_transfer(a)
            if sock is None:
                return (
                    "Errored",
                    f"Failed to establish a direct or indirect transfer connection to {a.username}",
                )
            return self._receive(a, sock, announced)
        elif value.reason is None or value.reason.rstrip(".").lower() != "queued":
            return "Rejected", value.reason
        a.progress(Step("queued"))
        while True:  # queued remotely until the peer's TransferRequest(1), a denial or a failure
            event = self._next(a, None)
            assert event is not None
            kind, value, via = event
            if kind == "place":
                a.progress(Step("queued", place=value))
                continue
            if kind == "upload":
                break
            ended = _refusal(kind, value)
            if ended is not None:
                return ended
        upload, announced = value.token, value.size or 0
        if a.size and announced != a.size:
            with contextlib.suppress(OSError):
                via.send(peer_messages.build_transfer_response(upload, False, reason="Cancelled"))
            return "Aborted", _mismatch(a.size, announced)
        waiter: queue.Queue[socket.socket] = queue.Queue()
        with self._state:
            self._expected[(a.username, upload)] = waiter
        try:
            via.send(peer_messages.build_transfer_response(upload, True, size=announced))
            a.progress(Step("initializing", size=announced, token=upload))
            sock = self._wait_socket(a, waiter, INDIRECT_S)
        except OSError as error:
            return "Errored", f"Failed to answer the peer's transfer request: {error}"
        finally:
            with self._state:
                self._expected.pop((a.username, upload), None)
        if sock is None:  # neither of the peer's ways came: the client opens it (Nicotine+'s way)
            sock = self._open_transfer(a, upload)
        if sock is None:
            return "TimedOut", "Timed out waiting for the transfer connection"
        return self._receive(a, sock, announced)

    def _next(self, a: _Attempt, timeout: float | None) -> tuple[str, Any, MessageConnection] | None:
        """The attempt's next event; None after `timeout`; _Stopped once cancelled or closing."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not (self._closing or a.cancel.is_set()):
            left = 0.1 if deadline is None else min(0.1, deadline - time.monotonic())
            if left <= 0:
                return None
            with contextlib.suppress(queue.Empty):
                return a.events.get(timeout=left)
        raise _Stopped

    def _wait_socket(
        self, a: _Attempt, waiter: queue.Queue[socket.socket], timeout: float
    ) -> socket.socket | None:
        deadline = time.monotonic() + timeout
        while not (self._closing or a.cancel.is_set()):
            left = min(0.1, deadline - time.monotonic())
            if left <= 0:
                return None
            with contextlib.suppress(queue.Empty):
                return waiter.get(timeout=left)
        raise _Stopped

    def _open_transfer(self, a: _Attempt, token: int | None = None) -> socket.socket | None:
        """The F connection opened by the client, carrying `token` (the immediate path: the
        download's own T; the fallback after the peer's F connection never came: its U):
        direct (PeerInit F + the 4 bytes), else indirect (ConnectToPeer F; the peer's
        PierceFirewall, then the 4 bytes)."""
        token = a.token if token is None else token
        host, port = self._address(a.username)
        try:
            sock = socket.create_connection((host, port), TIMEOUT_S)
        except OSError:
            sock = self._solicit(a.username, "F")
            if sock is None:
                return None
            if not self._track(sock):
                raise _Stopped from None
            try:
                sock.sendall(UINT32.pack(token))
            except OSError:
                self._untrack(sock)
                return None
            return sock
        if not self._track(sock):
            raise _Stopped
        try:
            sock.sendall(peer_messages.build_peer_init(self.username, "F", token) + UINT32.pack(token))
        except OSError:
            self._untrack(sock)
            return None
        return sock

    def _receive(self, a: _Attempt, sock: socket.socket, size: int) -> tuple[str, str | None]:
        """The F connection: the 8-byte offset, then exactly size − offset bytes, each chunk a
        "data" step; a connection that ends before them is Errored (the caller resumes)."""
        offset = min(max(a.offset, 0), size)
        try:
            sock.settimeout(TIMEOUT_S)
            sock.sendall(UINT64.pack(offset))
            a.progress(Step("started", offset=offset))
            left = size - offset
            while left:
                if self._closing or a.cancel.is_set():
                    raise _Stopped
                chunk = sock.recv(min(left, CHUNK))
                if not chunk:
                    return "Errored", "The remote peer closed the transfer connection"
                left -= len(chunk)
                a.progress(Step("data", data=chunk))
        except OSError as error:
            return "Errored", f"The transfer connection failed: {error or type(error).__name__}"
        finally:
            self._untrack(sock)
        return "Succeeded", None


def _refusal(kind: str, value: Any) -> tuple[str, str | None] | None:
    """How an UploadDenied or UploadFailed ends the attempt (a stray place: None, go on)."""
    if kind == "denied":
        return "Rejected", value
    if kind == "failed":
        return "Errored", "The remote user reported the upload failed"
    return None


def _mismatch(expected: int, announced: int) -> str:
    return f"Expected a size of {expected} bytes, but the peer announced {announced}"


class _Stopped(Exception):
    """The download was cancelled or the client closed: the attempt ends without another step."""


@dataclass
class _Attempt:
    """One attempt at a download: what the caller asked, and the peer's messages about it."""

    username: str
    filename: str
    token: int
    size: int
    offset: int
    progress: DownloadProgress
    cancel: threading.Event
    events: queue.Queue[tuple[str, Any, MessageConnection]] = field(default_factory=queue.Queue)

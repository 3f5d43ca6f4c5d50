"""The downloads of the reference server's simulated network: the sharing peers upload as their
`upload` behaviour says (`conformance.peers.uploads`), each step recorded in the TransferLog.

A mixin of `SimulatedNetwork` (`conformance.reference.network`), which holds the state it uses:
the peers by name, the echo peers, the TransferLog, the token counters, the seed, the response
timeout and the closing event.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
import time
from typing import TYPE_CHECKING

from conformance.peers.library import SharedFile, SharingPeer
from conformance.peers.transfer_log import TransferLog
from conformance.peers.uploads import BANNED, NOT_SHARED, Upload, announced_size, content, drop_after
from conformance.reference.download_steps import DownloadProgress, Step
from conformance.reference.network_errors import SoulseekError

# The simulated peers' pace: each step of a download at most STEP_S after the last.
STEP_S = 0.02
CONNECT_S = 0.05


class SimulatedDownloads:
    """Downloads from the simulated sharing peers, in process (the Transfers part of `SimulatedNetwork`)."""

    username: str
    seed: int
    response_timeout_s: float
    echo_peers: frozenset[str]
    _peers: dict[str, SharingPeer]
    _transfers: TransferLog
    _tokens: itertools.count[int]
    _upload_tokens: itertools.count[int]
    _closing: threading.Event

    if TYPE_CHECKING:  # SoulseekNetwork's, found later in SimulatedNetwork's bases

        def _require_login(self, action: str) -> None: ...

    def _reachable(self, username: str) -> SharingPeer | None:
        """The peer a message connection reaches; SoulseekError as slskd's enqueue reports an
        offline user (GetPeerAddress 0.0.0.0). Echo peers are online and share nothing."""
        self._require_login("download files")
        peer = self._peers.get(username)
        if peer is not None and peer.online:
            return peer
        if username in self.echo_peers:
            return None
        raise SoulseekError(f"User {username} appears to be offline")

    def connect(self, username: str) -> None:
        """Reach the peer, taking CONNECT_S as a loopback connection and its handshake take."""
        self._reachable(username)
        self._closing.wait(CONNECT_S)

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
        """One thread per attempt plays the peer's `upload` behaviour (contract §1), each step at
        most STEP_S apart (a queued peer waits its `queue_s`), recorded in the TransferLog."""
        peer = self._reachable(username)
        stop = cancel or threading.Event()
        thread = threading.Thread(
            target=self._upload,
            args=(peer, username, filename, size, offset, progress, stop, token),
            name=f"download-{username}",
            daemon=True,
        )
        thread.start()

    def _wait(self, seconds: float, stop: threading.Event) -> bool:
        """Sleep `seconds`; True when the network closed or the downloader cancelled meanwhile."""
        deadline = time.monotonic() + seconds
        while not (self._closing.is_set() or stop.is_set()):
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            stop.wait(min(left, STEP_S))
        return True

    def _upload(
        self,
        peer: SharingPeer | None,
        username: str,
        filename: str,
        size: int,
        offset: int,
        progress: DownloadProgress,
        stop: threading.Event,
        token: int | None,
    ) -> None:
        log = self._transfers
        if self._wait(STEP_S, stop):  # GetPeerAddress and the message connection
            return
        index = log.requested(
            username, self.username, filename, next(self._tokens) if token is None else token
        )
        progress(Step("requested"))
        shared = None if peer is None else peer.file(filename)
        behaviour = Upload.REFUSES if peer is None or shared is None else Upload(peer.upload)
        if self._wait(STEP_S, stop):
            return
        if behaviour == Upload.REFUSES:
            log.update(index, answer="refused", reason=NOT_SHARED)
            log.ended(index)
            progress(Step("ended", outcome="Rejected", exception=NOT_SHARED))
            return
        if behaviour == Upload.SILENT:
            log.update(index, answer="none")
            if self._wait(self.response_timeout_s, stop):
                return
            log.ended(index)
            progress(Step("ended", outcome="TimedOut", exception="The transfer request timed out"))
            return
        assert peer is not None and shared is not None
        upload_token = None
        if behaviour == Upload.AT_ONCE:
            log.update(index, answer="allowed", announced_size=shared.size, size=shared.size)
            progress(Step("queued"))
            announced = shared.size
        else:
            place = peer.place
            log.update(index, answer="queued", reason="Queued", place=place)
            progress(Step("queued", place=place))
            if self._wait(peer.queue_s, stop):
                return
            if behaviour == Upload.DENIES:
                log.update(index, denied=BANNED)
                log.ended(index)
                progress(Step("ended", outcome="Rejected", exception=BANNED))
                return
            if behaviour == Upload.FAILS:
                log.update(index, failed=True)
                log.ended(index)
                progress(
                    Step("ended", outcome="Errored", exception="The remote user reported the upload failed")
                )
                return
            announced = announced_size(behaviour, shared)
            upload_token = next(self._upload_tokens)
            log.update(index, upload_token=upload_token, announced_size=announced, size=shared.size)
            if size and announced != size:
                log.ended(index)
                progress(
                    Step(
                        "ended",
                        outcome="Aborted",
                        exception=f"Expected a size of {size} bytes, but the peer announced {announced}",
                    )
                )
                return
        progress(Step("initializing", size=announced, token=upload_token))
        self._send(peer, shared, behaviour, index, offset, progress, stop)

    def _send(
        self,
        peer: SharingPeer,
        shared: SharedFile,
        behaviour: Upload,
        index: int,
        offset: int,
        progress: DownloadProgress,
        stop: threading.Event,
    ) -> None:
        """The F connection: the offset read, then the bytes from it (a dropping peer's first
        attempt at a file stops at half of them and closes)."""
        if self._wait(STEP_S, stop):
            return
        log = self._transfers
        offset = min(max(offset, 0), shared.size)
        log.update(index, offset=offset)
        progress(Step("started", offset=offset))
        data = content(self.seed, peer.username, shared)
        attempt = log.attempts(peer.username, self.username, shared.filename)  # this one included
        cut_after = drop_after(behaviour, shared, attempt)
        cut = cut_after is not None
        sent = data[offset : shared.size if cut_after is None else min(shared.size, offset + cut_after)]
        if self._wait(STEP_S, stop):
            return
        progress(Step("data", data=sent))
        log.update(
            index,
            bytes_sent=len(sent),
            complete=not cut,
            sha256=hashlib.sha256(sent).hexdigest(),
        )
        log.ended(index)
        if cut:
            progress(
                Step("ended", outcome="Errored", exception="The remote peer closed the transfer connection")
            )
        else:
            progress(Step("ended", outcome="Succeeded"))

    def place_in_queue(self, username: str, filename: str) -> int:
        """The peer's `place` (PlaceInQueueResponse); a silent peer never answers (SoulseekError
        after the response timeout, as slskd's 5 s wait ends in a 500)."""
        peer = self._reachable(username)
        if peer is None or peer.file(filename) is None:
            raise SoulseekError(f"User {username} does not share {filename}")
        if Upload(peer.upload) == Upload.SILENT:
            self._closing.wait(self.response_timeout_s)
            raise SoulseekError("The place in queue request timed out")
        return peer.place

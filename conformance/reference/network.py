"""The Soulseek network behind the reference server: simulated in-process, or a real connection.

Real slskd talks to the Soulseek server: a send or an acknowledgement fails unless the
client is connected and logged in, and incoming private messages arrive from other
users at any time. Two implementations share that contract (`SoulseekNetwork`):

- `SimulatedNetwork` (the default) needs no server: an *echo peer* answers every message it
  is sent with one incoming message, delivered before the send's 201 so a checker needs no
  polling; the sharing peers of `conformance.peers` answer searches after their delays, and
  every answer sent is recorded in a `SearchLog` (the checker's oracle, `search_log()`);
- `conformance.reference.soulseek.SoulseekConnection` logs in to a Soulseek server (such as
  `conformance network`) and sends, receives, acknowledges, searches and downloads over the
  protocol (the network's control API keeps the record of what its peers sent).

Whatever they raise reaches the HTTP layer as slskd's global exception handler would show
it: 500 with the message as a JSON string.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
import time
from collections.abc import Callable
from typing import NamedTuple

from conformance.peers.library import SharedFile, SharingPeer
from conformance.peers.record import SearchLog
from conformance.peers.responses import PeerResponse, answer
from conformance.peers.transfer_log import TransferLog
from conformance.peers.uploads import BANNED, NOT_SHARED, Upload, announced_size, content, drop_after
from conformance.reference.network_errors import SoulseekError
from conformance.reference.rooms_network import RoomsNetwork
from conformance.reference.simulated_rooms import SimulatedRooms
from conformance.reference.users_network import UsersNetwork

DEFAULT_USERNAME = "slskd-reference"  # the account the reference reports (and logs in as)
# The simulated peers' pace: each step of a download at most STEP_S after the last, and a peer
# that never answers is given up on after RESPONSE_TIMEOUT_S (slskd waits 15 s: a checker that
# waited that long per silent peer would spend most of a run waiting).
STEP_S = 0.02
CONNECT_S = 0.05
RESPONSE_TIMEOUT_S = 1.0


class Incoming(NamedTuple):
    username: str
    id: int  # assigned by the Soulseek server, positive
    message: str
    timestamp_s: int | None = None  # the server's whole second; None: stamp on arrival
    replayed: bool = False  # delivered again at login because it was never acknowledged


Receiver = Callable[[Incoming], None]
# Where a search's responses go: called from a network thread, once per response that arrives.
SearchDelivery = Callable[[PeerResponse], None]


class Step(NamedTuple):
    """One thing that happened to a download attempt on the network, as Soulseek.NET reports it.

    `kind`: "requested" (TransferRequest(0) sent), "queued" (the peer said Queued, or let the
    download skip its queue; `place` when it told one), "initializing" (the peer's
    TransferRequest(1) accepted or the immediate path taken; `size` the size it announced),
    "started" (the F connection is open and the offset sent), "data" (`data`: bytes that arrived),
    "ended" (`outcome`: Succeeded, Rejected, Aborted, Errored or TimedOut; `exception` its text)."""

    kind: str
    place: int | None = None
    size: int | None = None
    token: int | None = None  # "initializing": the peer's own upload token (None on the immediate path)
    offset: int = 0
    data: bytes = b""
    outcome: str | None = None
    exception: str | None = None


# Where a download's steps go: called from a network thread, in order, ending with one "ended".
DownloadProgress = Callable[[Step], None]


class SoulseekNetwork(UsersNetwork, RoomsNetwork):
    """The server connection as slskd's client library reports and enforces it (the Users and
    Rooms parts in `users_network`, `rooms_network`)."""

    username = DEFAULT_USERNAME
    logged_in = False

    @property
    def state(self) -> str:
        """slskd's `SoulseekClientStates` flags, as text."""
        return "Connected, LoggedIn" if self.logged_in else "Disconnected"

    def start(self, receive: Receiver) -> None:
        """Begin delivering incoming messages to `receive`."""

    def close(self) -> None:
        """Let go of the connection, if there is one."""

    def send(self, username: str, message: str) -> None:
        raise NotImplementedError

    def acknowledge(self, message_id: int) -> None:
        raise NotImplementedError

    def reply(self, username: str, message: str) -> Incoming | None:
        """An answer available at once, before the send returns (only a simulated peer has one)."""
        return None

    def search(self, token: int, query: str, deliver: SearchDelivery) -> None:
        """Send FileSearch {token, query} and return at once; responses come later, to `deliver`.

        `query` is already the network query (`conformance.peers.matching.network_query`: never
        ""). SoulseekError (the 409 of POST /searches) when not logged in, checked first
        (`_require_login("search")`), before anything is sent or recorded.

        `deliver(response)` is called from a network thread for each SearchResponse that
        arrives for this search, for as long as the network lives: also after the caller
        considers the search over (a late answer), and possibly carrying another token than
        `token` (a peer that misnumbers its answer). The caller (the Searches emulation) decides
        what to accept, as slskd does: only while InProgress, only with its own token, only
        past its filters. A real connection looks the search up by the token inside the
        message, as Soulseek.NET does, so a response whose token is no search's is dropped
        there; the simulated network knows which search a peer answered and delivers it to
        that search whatever token it carries. `deliver` must not block for long.
        """
        raise NotImplementedError

    def connect(self, username: str) -> None:
        """A message connection to `username` (slskd's enqueue makes one before it answers);
        SoulseekError when not logged in, when the user is offline or unknown, or when no
        connection can be made."""
        raise SoulseekError(
            f"{type(self).__name__} does not download files (only the simulated network does)"
        )

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
        """Ask `username` for `filename` (TransferRequest(0)) and return once a connection to
        the peer is made; the download's steps come later, to `progress`, from a network thread.

        `size`: what the downloader was told (0: unknown; a peer announcing another size aborts
        the download). `offset`: the bytes already held (a resumed attempt). `cancel` set: the
        downloader gave up (DELETE); the thread ends without another step. `token`: the
        download's own token in the TransferRequest (None: the network picks one).
        SoulseekError (the 500 of POST /transfers/downloads/{username}) when not logged in, when
        the user is offline or unknown, or when no connection to the peer can be made."""
        raise SoulseekError(
            f"{type(self).__name__} does not download files (only the simulated network does)"
        )

    def place_in_queue(self, username: str, filename: str) -> int:
        """PlaceInQueueRequest(filename) and the place the peer answers; SoulseekError when the
        peer cannot be reached or does not answer in time (the 500 of GET …/position)."""
        raise SoulseekError(
            f"{type(self).__name__} does not download files (only the simulated network does)"
        )

    def transfer_log(self) -> TransferLog | None:
        """What the network knows about each download request it received (the oracle); None
        for a real connection, whose network shows it on its control API (`GET /transfers`)."""
        return None

    def search_log(self) -> SearchLog | None:
        """What the network knows was sent for searches (the oracle); None for a real connection,
        whose network (`conformance network`) shows it on its control API instead."""
        return None

    def peers_view(self) -> list[dict[str, object]]:
        """The simulated peers as the network's control API shows them (`GET /peers`); [] when
        the peers live elsewhere (a real connection)."""
        return []

    def _check_send(self, username: str) -> None:
        """The client library's checks before a private message, in its order."""
        if not username.strip():
            raise SoulseekError(
                "The username must not be a null or empty string, or one consisting only of whitespace "
                "(Parameter 'username')"
            )
        self._require_login("send a private message")

    def _require_login(self, action: str) -> None:
        if not self.logged_in:
            raise SoulseekError(
                f"The server connection must be connected and logged in to {action} (currently: {self.state})"
            )


class SimulatedNetwork(SimulatedRooms, SoulseekNetwork):
    """An in-process network: sends succeed while `logged_in`, echo peers answer at once, and
    the sharing peers answer each search after their own delays (one timer thread per search)."""

    def __init__(
        self,
        *,
        logged_in: bool,
        echo_peers: tuple[str, ...],
        last_id: int = 0,
        sharing_peers: tuple[SharingPeer, ...] = (),
        seed: int = 0,
        response_timeout_s: float = RESPONSE_TIMEOUT_S,
    ) -> None:
        self.logged_in = logged_in  # switchable at run time, like a dropped connection
        self.echo_peers = frozenset(echo_peers)
        self.sharing_peers = tuple(sharing_peers)
        self.seed = seed  # decides every shared file's bytes (`conformance.peers.uploads.content`)
        self.response_timeout_s = response_timeout_s
        self._ids = itertools.count(last_id + 1)
        self._log = SearchLog()
        self._transfers = TransferLog()
        self._tokens = itertools.count(1)
        self._upload_tokens = itertools.count(40_000_001)
        self._peers = {peer.username: peer for peer in self.sharing_peers}
        self._closing = threading.Event()

    def send(self, username: str, message: str) -> None:
        self._check_send(username)

    def acknowledge(self, message_id: int) -> None:
        """Tell the server a message was read, so that it stops replaying it at login."""
        self._require_login("acknowledge private messages")

    def reply(self, username: str, message: str) -> Incoming | None:
        """The message an echo peer sends back, or None for any other user."""
        if username not in self.echo_peers:
            return None
        return Incoming(username, next(self._ids), f"echo: {message}")

    def search(self, token: int, query: str, deliver: SearchDelivery) -> None:
        """Every sharing peer with a match answers after its `delay_s`, in the order of their
        delays (ties in the library's order), each answer recorded as sent just before it is
        delivered; the timer thread ends with the last answer or when the network closes."""
        self._require_login("search")
        self._log.received(self.username, token, query)
        answers = [
            (peer.delay_s, response)
            for peer in self.sharing_peers
            if (response := answer(peer, query, token)) is not None
        ]
        if not answers:
            return
        answers.sort(key=lambda pair: pair[0])
        thread = threading.Thread(
            target=self._answer, args=(token, answers, deliver), name=f"search-{token}", daemon=True
        )
        thread.start()

    def _answer(self, token: int, answers: list[tuple[float, PeerResponse]], deliver: SearchDelivery) -> None:
        start = time.monotonic()
        for delay_s, response in answers:
            if self._closing.wait(max(0.0, start + delay_s - time.monotonic())):
                return
            self._log.sent(self.username, token, response)
            deliver(response)

    def search_log(self) -> SearchLog:
        return self._log

    # --- downloads: the sharing peers upload as their `upload` behaviour says -------------------
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

    def transfer_log(self) -> TransferLog:
        return self._transfers

    def peers_view(self) -> list[dict[str, object]]:
        """The echo and sharing peers, shaped like `conformance network`'s `GET /peers`."""
        echo: list[dict[str, object]] = [
            {"username": name, "kind": "echo", "received": []} for name in sorted(self.echo_peers)
        ]
        sharing: list[dict[str, object]] = [
            {"username": peer.username, "kind": "sharing", "received": [], **peer.as_json()}
            for peer in self.sharing_peers
        ]
        return sorted(echo + sharing, key=lambda entry: str(entry["username"]))

    def close(self) -> None:
        """Stop every pending answer: a closed server's peers send nothing more."""
        self._closing.set()

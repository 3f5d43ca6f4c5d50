"""The Soulseek network behind the reference server: simulated in-process, or a real connection.

Real slskd talks to the Soulseek server: a send or an acknowledgement fails unless the
client is connected and logged in, and incoming private messages arrive from other
users at any time. Two implementations share that contract (`SoulseekNetwork`):

- `SimulatedNetwork` (the default) needs no server: an *echo peer* answers every message it
  is sent with one incoming message, delivered before the send's 201 so a checker needs no
  polling; the sharing peers of `conformance.peers` answer searches after their delays, and
  every answer sent is recorded in a `SearchLog` (the checker's oracle, `search_log()`); they
  upload as their library says (`simulated_downloads`, recorded in a `TransferLog`);
- `conformance.reference.soulseek.SoulseekConnection` logs in to a Soulseek server (such as
  `conformance network`) and sends, receives, acknowledges, searches and downloads over the
  protocol (the network's control API keeps the record of what its peers sent).

Whatever they raise reaches the HTTP layer as slskd's global exception handler would show
it: 500 with the message as a JSON string.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from typing import NamedTuple

from conformance.peers.library import SharingPeer
from conformance.peers.record import SearchLog
from conformance.peers.responses import PeerResponse, answer
from conformance.peers.transfer_log import TransferLog
from conformance.reference.download_steps import DownloadProgress
from conformance.reference.network_errors import SoulseekError
from conformance.reference.rooms_network import RoomsNetwork
from conformance.reference.simulated_downloads import SimulatedDownloads
from conformance.reference.simulated_rooms import SimulatedRooms
from conformance.reference.simulated_users import SimulatedUsers, peer_port
from conformance.reference.users_network import UsersNetwork

DEFAULT_USERNAME = "slskd-reference"  # the account the reference reports (and logs in as)
# A peer that never answers is given up on after RESPONSE_TIMEOUT_S (slskd waits 15 s: a checker
# that waited that long per silent peer would spend most of a run waiting).
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


class SimulatedNetwork(SimulatedUsers, SimulatedRooms, SimulatedDownloads, SoulseekNetwork):
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

    def transfer_log(self) -> TransferLog:
        return self._transfers

    def peers_view(self) -> list[dict[str, object]]:
        """The echo and sharing peers, shaped like `conformance network`'s `GET /peers`."""
        echo: list[dict[str, object]] = [
            {"username": name, "kind": "echo", "received": []} for name in sorted(self.echo_peers)
        ]
        sharing: list[dict[str, object]] = [
            {
                "username": peer.username,
                "kind": "sharing",
                "received": [],
                **peer.as_json(),
                "port": peer_port(peer.username),
            }
            for peer in self.sharing_peers
        ]
        return sorted(echo + sharing, key=lambda entry: str(entry["username"]))

    def close(self) -> None:
        """Stop every pending answer: a closed server's peers send nothing more."""
        self._closing.set()

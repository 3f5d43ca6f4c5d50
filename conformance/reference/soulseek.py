"""The reference server as a Soulseek client: sends, receives, acknowledges and searches over the protocol.

`conformance serve --soulseek HOST:PORT` uses this instead of the in-process simulation, so the
whole chain checker → REST API → Soulseek protocol → peers runs as it does with a real slskd
logged in to `conformance network`. It speaks through the same codec as the network
(`conformance.network.codec`/`messages`), logs in as Soulseek.NET does (Login and
SetListenPort in one write, then wait only for the Login answer), and then reads in a
background thread: private messages go to the receiver (slskd's `HandleMessageAsync`); a
dropped connection is logged in again (the server then replays what was not acknowledged),
KickedFromServer leaves it disconnected, as another login of the same name took over.

Searching is Soulseek.NET's (shared/soulseek/peers-and-apis.md §1.0, §1.1, §2): the client
opens a listener on 127.0.0.1 and announces its port in SetListenPort; a search is one
FileSearch to the server; the answers come peer-to-peer, either on a connection a peer opens to
the listener (PeerInit or PierceFirewall first) or on one the client opens when the server
relays a peer's ConnectToPeer (type P: connect, write PierceFirewall(token)). A SearchResponse
is handed to the search whose token it carries, whoever sent it and on whichever connection;
an answer under a token no search has is dropped there, as Soulseek.NET drops it. A peer that
closes early or sends garbage costs its own connection and one log line, nothing else.

Downloading is Soulseek.NET's too (§1.0, §1.4, §2): GetPeerAddress (0.0.0.0: offline) and a
message connection, direct (PeerInit P) or, when that fails, indirect (ConnectToPeer P, the
peer's PierceFirewall on the listener), cached per user and replaced by one the peer opens;
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

Threads, not asyncio: the reference's HTTP server is threaded and calls `send` from its
request threads; a blocking socket with a write lock is the simplest thing that is correct.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import queue
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from conformance.network import messages, peer_messages
from conformance.network.codec import (
    UINT32,
    UINT64,
    Builder,
    Code,
    Frame,
    Payload,
    ProtocolError,
    read_exactly,
    read_frame,
)
from conformance.network.peer_messages import Direction, PeerCode, PeerInit, PierceFirewall
from conformance.peers.responses import PeerResponse
from conformance.reference.network import (
    DownloadProgress,
    Incoming,
    Receiver,
    SearchDelivery,
    SoulseekError,
    SoulseekNetwork,
    Step,
)
from conformance.reference.soulseek_rooms import ROOM_FRAMES, SoulseekRooms

log = logging.getLogger("conformance.reference.soulseek")
TIMEOUT_S = 10.0  # to connect, and for the Login answer (Soulseek.NET's message timeout is 5 s)
LOGIN_FRAMES = 100  # frames skipped before the Login answer before giving up on the server
RECONNECT_TRIES, RECONNECT_PAUSE_S = 20, 0.25  # after a dropped connection (never after a kick)
LISTEN_HOST = "127.0.0.1"  # where peers reach the client: the simulated network is on loopback
FILE_SEARCH = 26  # server code: {uint32 token, string query} from the client
PEER_INACTIVITY_S = 15.0  # Soulseek.NET drops a peer connection idle this long
ADDRESS_S = 5.0  # GetPeerAddress's answer
INDIRECT_S = 10.0  # a PierceFirewall after our ConnectToPeer; the peer's F connection after TransferResponse
TRANSFER_RESPONSE_S = 15.0  # the peer's answer to TransferRequest(0)
PLACE_S = 5.0  # PlaceInQueueResponse
CHUNK = 65536
FIRST_TOKEN = 1_000_001  # our connection tokens (PeerInit, ConnectToPeer); downloads bring their own


class SoulseekConnection(SoulseekRooms, SoulseekNetwork):
    def __init__(self, host: str, port: int, username: str, password: str) -> None:
        self.address = (host, port)
        self.username, self._password = username, password
        self.logged_in = False
        self._socket: socket.socket | None = None
        self._write = threading.Lock()
        self._reader: threading.Thread | None = None
        self._closing = False
        self._listener: socket.socket | None = None
        self._searches: dict[int, SearchDelivery] = {}  # by token, for as long as the client lives
        self._searches_lock = threading.Lock()
        self._peers: set[socket.socket] = set()  # open peer connections, closed with the client
        self._peers_lock = threading.Lock()
        self.response_timeout_s = TRANSFER_RESPONSE_S
        self._state = threading.Lock()  # guards every table below
        self._tokens = itertools.count(FIRST_TOKEN)
        self._addresses: dict[str, list[queue.Queue[tuple[str, int]]]] = {}  # GetPeerAddress waiters
        self._messages: dict[str, _MessageConnection] = {}  # the cached message connection per user
        self._solicited: dict[int, tuple[str, str, queue.Queue[Any]]] = {}  # our ConnectToPeer tokens
        self._expected: dict[tuple[str, int], queue.Queue[socket.socket]] = {}  # F connections (user, U)
        self._by_token: dict[tuple[str, int], _Attempt] = {}  # downloads by (user, token T)
        self._by_file: dict[tuple[str, str], _Attempt] = {}  # downloads by (user, filename)
        self._places: dict[tuple[str, str], list[queue.Queue[int]]] = {}  # PlaceInQueue waiters

    @property
    def listen_port(self) -> int:
        """The port announced in SetListenPort (0 before `start`)."""
        return self._listener.getsockname()[1] if self._listener is not None else 0

    def start(self, receive: Receiver) -> None:
        """Open the peer listener, connect and log in; SoulseekError when the server is
        unreachable or refuses the login."""
        self._listen()
        try:
            self._log_in()
        except SoulseekError:
            self._close_listener()
            raise
        self._reader = threading.Thread(target=self._serve, args=(receive,), name="soulseek-client")
        self._reader.daemon = True
        self._reader.start()

    def _listen(self) -> None:
        """Before the login: its SetListenPort must carry a port somebody listens on."""
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((LISTEN_HOST, 0))
        listener.listen(64)
        self._listener = listener
        thread = threading.Thread(
            target=self._accept, args=(listener,), name="soulseek-listener", daemon=True
        )
        thread.start()

    def _log_in(self) -> None:
        where = f"{self.address[0]}:{self.address[1]}"
        try:
            sock = socket.create_connection(self.address, TIMEOUT_S)
        except OSError as error:
            raise SoulseekError(f"cannot connect to the Soulseek server at {where}: {error}") from None
        try:
            login = messages.login_request(self.username, self._password)
            sock.sendall(login + messages.set_listen_port(self.listen_port))
            result = self._await_login(sock)
        except (OSError, ProtocolError) as error:
            sock.close()
            raise SoulseekError(f"the Soulseek server at {where} did not answer the login: {error}") from None
        if not result.succeeded:
            sock.close()
            raise SoulseekError(f"the Soulseek server at {where} refused the login: {result.message}")
        sock.settimeout(None)
        with self._write:
            old, self._socket = self._socket, sock
        if old is not None:
            old.close()
        self.logged_in = True
        self._send(messages.set_online_status(messages.ONLINE))

    def _await_login(self, sock: socket.socket) -> messages.LoginResult:
        for _ in range(LOGIN_FRAMES):
            frame = read_frame(sock)
            if frame.code == Code.LOGIN:
                return messages.read_login_response(frame.reader())
        raise ProtocolError(f"no Login answer among the first {LOGIN_FRAMES} frames")

    def _serve(self, receive: Receiver) -> None:
        """Read until kicked or closed; a dropped connection is logged in again, as slskd does
        (the server then replays every message not acknowledged yet)."""
        while self._read(receive) and not self._closing and self._reconnect():
            pass
        self.logged_in = False

    def _read(self, receive: Receiver) -> bool:
        """Deliver incoming messages; True when the connection dropped, False when kicked."""
        assert self._socket is not None
        try:
            while True:
                frame = read_frame(self._socket)
                if frame.code == Code.PRIVATE_MESSAGE:
                    m = messages.read_private_message(frame.reader())
                    receive(Incoming(m.username, m.id, m.message, m.timestamp, not m.is_new))
                elif frame.code == Code.CONNECT_TO_PEER:
                    self._pierce(frame.reader())
                elif frame.code == Code.GET_PEER_ADDRESS:
                    self._addressed(frame.reader())
                elif frame.code in ROOM_FRAMES:
                    self._room_frame(frame)
                elif frame.code == Code.KICKED_FROM_SERVER:
                    log.warning("kicked from the Soulseek server: another login took %r", self.username)
                    return False
        except (OSError, ProtocolError) as error:
            self.logged_in = False
            if not self._closing:
                log.warning("lost the Soulseek server connection: %s", error)
            return True

    def _reconnect(self) -> bool:
        for _ in range(RECONNECT_TRIES):
            time.sleep(RECONNECT_PAUSE_S)
            if self._closing:
                return False
            try:
                self._log_in()
                return True
            except SoulseekError as error:
                log.warning("reconnecting: %s", error)
        return False

    def close(self) -> None:
        self._closing = True
        self.logged_in = False
        if self._socket is not None:
            with contextlib.suppress(OSError):  # already gone
                self._socket.shutdown(socket.SHUT_RDWR)
            self._socket.close()
        self._close_listener()
        with self._peers_lock:
            peers, self._peers = list(self._peers), set()
        for peer in peers:
            _shut(peer)
        if self._reader is not None:
            self._reader.join(TIMEOUT_S)

    def _close_listener(self) -> None:
        if self._listener is not None:
            _shut(self._listener)

    def send(self, username: str, message: str) -> None:
        self._check_send(username)
        self._send(messages.private_message_command(username, message))

    def acknowledge(self, message_id: int) -> None:
        self._require_login("acknowledge private messages")
        self._send(messages.acknowledge(message_id))

    def search(self, token: int, query: str, deliver: SearchDelivery) -> None:
        """FileSearch {token, query} to the server; answers arrive on peer connections and go to
        `deliver` by the token they carry (registered before the send, so none is missed)."""
        self._require_login("search")
        with self._searches_lock:
            self._searches[token] = deliver
        self._send(Builder(FILE_SEARCH).uint32(token).string(query).build())

    def _send(self, frame: bytes) -> None:
        if self._socket is None:
            raise SoulseekError("not connected to the Soulseek server")
        try:
            with self._write:
                self._socket.sendall(frame)
        except OSError as error:
            self.logged_in = False
            raise SoulseekError(f"the Soulseek server connection failed: {error}") from None

    # --- peer connections -------------------------------------------------------------------------
    def _accept(self, listener: socket.socket) -> None:
        """Take every inbound peer connection until the listener closes."""
        while not self._closing:
            try:
                sock, where = listener.accept()
            except OSError:
                return  # closed
            self._spawn(sock, f"inbound from {where[0]}:{where[1]}", greeted=False)

    def _pierce(self, payload: Payload) -> None:
        """ConnectToPeer from the server: a peer that cannot reach the listener asks the client to
        connect out to it; type P becomes a message connection, type F a transfer connection whose
        4-byte token must be a download's (§1.0)."""
        username, kind = payload.string(), payload.string()
        host, port, token = payload.ipv4(), payload.uint32(), payload.uint32()
        if kind not in ("P", "F"):
            log.info("ConnectToPeer of type %r from %r ignored (no distributed network)", kind, username)
            return
        if kind == "F" and not self._downloading_from(username):
            log.info("ConnectToPeer of type 'F' from %r ignored: no download from that user", username)
            return
        thread = threading.Thread(
            target=self._connect_out,
            args=(username, kind, host, port, token),
            name=f"soulseek-pierce-{token}",
            daemon=True,
        )
        thread.start()

    def _connect_out(self, username: str, kind: str, host: str, port: int, token: int) -> None:
        sock: socket.socket | None = None
        try:
            sock = socket.create_connection((host, port), TIMEOUT_S)
            sock.sendall(peer_messages.build_pierce_firewall(token))
        except OSError as error:
            if sock is not None:
                sock.close()
            log.warning(
                "cannot connect to %r at %s:%d for ConnectToPeer %d: %s", username, host, port, token, error
            )
            return
        where = f"outbound to {username!r} at {host}:{port}"
        if kind == "F":
            if self._track(sock):
                self._transfer_arrived(sock, username, where)
            return
        self._spawn(sock, where, greeted=True, connection=_MessageConnection(sock, username))

    def _downloading_from(self, username: str) -> bool:
        """Soulseek.NET honours a ConnectToPeer F only from a user it has a download from."""
        with self._state:
            return any(user == username for user, _ in self._by_file)

    def _track(self, sock: socket.socket) -> bool:
        """Count a socket among the peer connections the client closes; False once closing."""
        with self._peers_lock:
            if self._closing:
                sock.close()
                return False
            self._peers.add(sock)
            return True

    def _untrack(self, sock: socket.socket) -> None:
        with self._peers_lock:
            self._peers.discard(sock)
        sock.close()

    def _spawn(
        self, sock: socket.socket, where: str, *, greeted: bool, connection: _MessageConnection | None = None
    ) -> None:
        if not self._track(sock):
            return
        thread = threading.Thread(
            target=self._peer, args=(sock, where, greeted, connection), name="soulseek-peer", daemon=True
        )
        thread.start()

    def _peer(
        self, sock: socket.socket, where: str, greeted: bool, connection: _MessageConnection | None
    ) -> None:
        """Serve one peer connection: its init frame (unless the client opened it), then peer
        messages until it closes, idles out or lies; whatever ends it is one log line. An F
        connection, or the PierceFirewall that answers one of our ConnectToPeer F, is handed on."""
        handed = False
        try:
            sock.settimeout(PEER_INACTIVITY_S)  # in the try: close() may have shut it already
            if not greeted:
                init = peer_messages.read_init(sock)
                where = f"{where} ({_greeting(init)})"
                if isinstance(init, PeerInit):
                    if init.type == "F":
                        handed = True
                        self._transfer_arrived(sock, init.username, where)
                        return
                    connection = _MessageConnection(sock, init.username)
                else:
                    connection, handed = self._pierced(sock, init)
                    if handed:
                        return
            if connection is not None:
                self._cache(connection)
            while sock.recv(1, socket.MSG_PEEK):  # b"": closed between two messages, cleanly
                frame = peer_messages.read_message(sock)
                if frame.code == PeerCode.SEARCH_RESPONSE:
                    self._dispatch(peer_messages.read_search_response(frame), where)
                elif connection is not None:
                    self._transfer_message(connection, frame)
            log.debug("peer connection %s closed", where)
        except TimeoutError:
            log.debug("peer connection %s idle for %.0f s: closed", where, PEER_INACTIVITY_S)
        except (OSError, ProtocolError) as error:
            if not self._closing:
                log.warning("peer connection %s dropped: %s", where, error or type(error).__name__)
        finally:
            if connection is not None:
                connection.closed = True
                with self._state:
                    if self._messages.get(connection.username) is connection:
                        del self._messages[connection.username]
            if not handed:
                self._untrack(sock)

    def _pierced(self, sock: socket.socket, init: PierceFirewall) -> tuple[_MessageConnection | None, bool]:
        """A PierceFirewall on the listener: the answer to one of our ConnectToPeers (P: our message
        connection, handed to the waiter too; F: the socket goes to the download, True) or, with a
        token we never gave, a connection whose messages are read from nobody in particular."""
        with self._state:
            solicited = self._solicited.pop(init.token, None)
        if solicited is None:
            return None, False
        username, kind, waiter = solicited
        if kind == "F":
            waiter.put(sock)
            return None, True
        connection = _MessageConnection(sock, username)
        self._cache(connection)
        waiter.put(connection)
        return connection, False

    def _cache(self, connection: _MessageConnection) -> None:
        """The user's message connection from now on (§1.0: it replaces any cached one)."""
        with self._state:
            self._messages[connection.username] = connection

    def _dispatch(self, response: PeerResponse, where: str) -> None:
        """To the search of the response's own token, as Soulseek.NET looks it up."""
        with self._searches_lock:
            deliver = self._searches.get(response.token)
        if deliver is None:
            log.info(
                "a search response from %r (%s) under token %d, no search's: dropped",
                response.username,
                where,
                response.token,
            )
            return
        try:
            deliver(response)
        except Exception:  # the search's own failure: this connection and the others go on
            log.exception("delivering a search response from %r failed", response.username)

    # --- downloads (§1.4) ---------------------------------------------------------------------
    def _addressed(self, payload: Payload) -> None:
        """GetPeerAddress's answer {username, ip, port}: to everyone waiting for that user."""
        username, host, port = payload.string(), payload.ipv4(), payload.uint32()
        with self._state:
            waiters = self._addresses.pop(username, [])
        for waiter in waiters:
            waiter.put((host, port))

    def _address(self, username: str) -> tuple[str, int]:
        """GetPeerAddress, as Soulseek.NET asks it; SoulseekError for an offline user (0.0.0.0)."""
        waiter: queue.Queue[tuple[str, int]] = queue.Queue()
        with self._state:
            self._addresses.setdefault(username, []).append(waiter)
        self._send(messages.username_request(Code.GET_PEER_ADDRESS, username))
        try:
            host, port = waiter.get(timeout=ADDRESS_S)
        except queue.Empty:
            raise SoulseekError(f"Failed to retrieve address for user {username}: timed out") from None
        if host == "0.0.0.0":
            raise SoulseekError(f"User {username} appears to be offline")
        return host, port

    def _solicit(self, username: str, kind: str) -> Any:
        """ConnectToPeer(token, username, kind) through the server, and what the peer's
        PierceFirewall(token) on the listener brings (a message connection or a socket); None
        after INDIRECT_S."""
        token = next(self._tokens)
        waiter: queue.Queue[Any] = queue.Queue()
        with self._state:
            self._solicited[token] = (username, kind, waiter)
        try:
            self._send(messages.connect_to_peer_request(token, username, kind))
            return waiter.get(timeout=INDIRECT_S)
        except queue.Empty:
            return None
        finally:
            with self._state:
                self._solicited.pop(token, None)

    def _message_connection(self, username: str) -> _MessageConnection:
        """The cached message connection to `username`, or a new one: direct (PeerInit P) first,
        then indirect (ConnectToPeer P); SoulseekError when offline or unreachable both ways."""
        self._require_login("download files")
        with self._state:
            cached = self._messages.get(username)
        if cached is not None and not cached.closed:
            return cached
        host, port = self._address(username)
        try:
            sock = socket.create_connection((host, port), TIMEOUT_S)
        except OSError:
            connection = self._solicit(username, "P")
            if connection is None:
                raise SoulseekError(
                    f"Failed to establish a direct or indirect message connection to {username}"
                ) from None
            return connection
        connection = _MessageConnection(sock, username)
        try:
            sock.sendall(peer_messages.build_peer_init(self.username, "P", next(self._tokens)))
        except OSError as error:
            sock.close()
            raise SoulseekError(f"Failed to establish a message connection to {username}: {error}") from None
        self._cache(connection)
        self._spawn(sock, f"outbound to {username!r} at {host}:{port}", greeted=True, connection=connection)
        return connection

    def connect(self, username: str) -> None:
        self._message_connection(username)

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

    def _transfer_message(self, connection: _MessageConnection, frame: Frame) -> None:
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

    def _run(self, attempt: _Attempt, connection: _MessageConnection) -> None:
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

    def _attempt(self, a: _Attempt, connection: _MessageConnection) -> tuple[str, str | None]:
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

    def _next(self, a: _Attempt, timeout: float | None) -> tuple[str, Any, _MessageConnection] | None:
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


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already gone
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


def _greeting(init: PeerInit | PierceFirewall) -> str:
    """The init frame in a few words; ProtocolError for a connection this client does not serve
    (the distributed network is not emulated)."""
    if isinstance(init, PeerInit):
        if init.type not in ("P", "F"):
            raise ProtocolError(
                f"PeerInit of type {init.type!r} from {init.username!r}: only P and F are served"
            )
        return f"PeerInit {init.username!r} {init.token}"
    return f"PierceFirewall {init.token}"


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


class _MessageConnection:
    """A peer message connection to one user; writes from several threads are serialised."""

    def __init__(self, sock: socket.socket, username: str) -> None:
        self.sock, self.username = sock, username
        self.closed = False
        self._write = threading.Lock()

    def send(self, frame: bytes) -> None:
        with self._write:
            self.sock.sendall(frame)


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
    events: queue.Queue[tuple[str, Any, _MessageConnection]] = field(default_factory=queue.Queue)

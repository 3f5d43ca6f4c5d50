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

Threads, not asyncio: the reference's HTTP server is threaded and calls `send` from its
request threads; a blocking socket with a write lock is the simplest thing that is correct.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time

from conformance.network import messages, peer_messages
from conformance.network.codec import Builder, Code, Payload, ProtocolError, read_frame
from conformance.network.peer_messages import PeerCode, PeerInit
from conformance.peers.responses import PeerResponse
from conformance.reference.network import Incoming, Receiver, SearchDelivery, SoulseekError, SoulseekNetwork

log = logging.getLogger("conformance.reference.soulseek")
TIMEOUT_S = 10.0  # to connect, and for the Login answer (Soulseek.NET's message timeout is 5 s)
LOGIN_FRAMES = 100  # frames skipped before the Login answer before giving up on the server
RECONNECT_TRIES, RECONNECT_PAUSE_S = 20, 0.25  # after a dropped connection (never after a kick)
LISTEN_HOST = "127.0.0.1"  # where peers reach the client: the simulated network is on loopback
FILE_SEARCH = 26  # server code: {uint32 token, string query} from the client
PEER_INACTIVITY_S = 15.0  # Soulseek.NET drops a peer connection idle this long


class SoulseekConnection(SoulseekNetwork):
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
        connect out to it; for type P the socket becomes a message connection (§1.0)."""
        username, kind = payload.string(), payload.string()
        host, port, token = payload.ipv4(), payload.uint32(), payload.uint32()
        if kind != "P":
            log.info(
                "ConnectToPeer of type %r from %r ignored (no transfers or distributed network)",
                kind,
                username,
            )
            return
        thread = threading.Thread(
            target=self._connect_out,
            args=(username, host, port, token),
            name=f"soulseek-pierce-{token}",
            daemon=True,
        )
        thread.start()

    def _connect_out(self, username: str, host: str, port: int, token: int) -> None:
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
        self._spawn(sock, f"outbound to {username!r} at {host}:{port}", greeted=True)

    def _spawn(self, sock: socket.socket, where: str, *, greeted: bool) -> None:
        with self._peers_lock:
            if self._closing:
                sock.close()
                return
            self._peers.add(sock)
        thread = threading.Thread(
            target=self._peer, args=(sock, where, greeted), name="soulseek-peer", daemon=True
        )
        thread.start()

    def _peer(self, sock: socket.socket, where: str, greeted: bool) -> None:
        """Serve one peer connection: its init frame (unless the client opened it), then peer
        messages until it closes, idles out or lies; whatever ends it is one log line."""
        sock.settimeout(PEER_INACTIVITY_S)
        try:
            if not greeted:
                where = f"{where} ({_greeting(peer_messages.read_init(sock))})"
            while sock.recv(1, socket.MSG_PEEK):  # b"": closed between two messages, cleanly
                frame = peer_messages.read_message(sock)
                if frame.code == PeerCode.SEARCH_RESPONSE:
                    self._dispatch(peer_messages.read_search_response(frame), where)
            log.debug("peer connection %s closed", where)
        except TimeoutError:
            log.debug("peer connection %s idle for %.0f s: closed", where, PEER_INACTIVITY_S)
        except (OSError, ProtocolError) as error:
            if not self._closing:
                log.warning("peer connection %s dropped: %s", where, error or type(error).__name__)
        finally:
            with self._peers_lock:
                self._peers.discard(sock)
            sock.close()

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


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already gone
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


def _greeting(init: PeerInit | peer_messages.PierceFirewall) -> str:
    """The init frame in a few words; ProtocolError for a connection this client does not serve
    (file transfers and the distributed network are not emulated)."""
    if isinstance(init, PeerInit):
        if init.type != "P":
            raise ProtocolError(f"PeerInit of type {init.type!r} from {init.username!r}: only P is served")
        return f"PeerInit {init.username!r} {init.token}"
    return f"PierceFirewall {init.token}"

"""The reference's Soulseek client, peer side: its listener and the connections to and from peers.

Soulseek.NET's (shared/soulseek/peers-and-apis.md §1.0, §2): the client listens on 127.0.0.1 and
announces the port in SetListenPort; an inbound connection opens with PeerInit (P: a message
connection, cached per user and replacing any cached one; F: a transfer connection, handed to
the downloads by its 4-byte token) or PierceFirewall (the answer to one of our ConnectToPeers);
a ConnectToPeer the server relays makes the client connect out and write PierceFirewall. A
message connection it needs is the cached one, or GetPeerAddress (0.0.0.0: offline) and a
direct PeerInit P, or, when that fails, an indirect ConnectToPeer P. Every message read on a
peer connection goes to the connection class's `_dispatch` (search responses) or
`_peer_message` (the rest: downloads, users), and a message connection that ends to
`_peer_closed` (the users' waits); `_transfer_arrived` and `_downloading_from` are the
downloads'. A peer that closes early or sends garbage costs its own connection and one log
line, nothing else.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import queue
import socket
import threading
from typing import Any

from conformance.network import messages, peer_messages
from conformance.network.codec import Code, Payload, ProtocolError
from conformance.network.peer_messages import PeerCode, PeerInit, PierceFirewall
from conformance.reference.network_errors import SoulseekError, UserOffline

log = logging.getLogger("conformance.reference.soulseek")
TIMEOUT_S = 10.0  # to connect, and for the Login answer (Soulseek.NET's message timeout is 5 s)
LISTEN_HOST = "127.0.0.1"  # where peers reach the client: the simulated network is on loopback
PEER_INACTIVITY_S = 15.0  # Soulseek.NET drops a peer connection idle this long
ADDRESS_S = 5.0  # GetPeerAddress's answer
INDIRECT_S = 10.0  # a PierceFirewall after our ConnectToPeer
FIRST_TOKEN = 1_000_001  # our connection tokens (PeerInit, ConnectToPeer); downloads bring their own


class MessageConnection:
    """A peer message connection to one user; writes from several threads are serialised."""

    def __init__(self, sock: socket.socket, username: str) -> None:
        self.sock, self.username = sock, username
        self.closed = False
        self._write = threading.Lock()

    def send(self, frame: bytes) -> None:
        with self._write:
            self.sock.sendall(frame)


class SoulseekPeers:
    """The peer connections of `SoulseekConnection` (which provides the login, `_send`, `_state`,
    `_closing` and the hooks named in the module docstring)."""

    def _init_peers(self) -> None:
        self._listener: socket.socket | None = None
        self._peers: set[socket.socket] = set()  # open peer connections, closed with the client
        self._peers_lock = threading.Lock()
        self._tokens = itertools.count(FIRST_TOKEN)
        self._addresses: dict[str, list[queue.Queue[tuple[str, int]]]] = {}  # GetPeerAddress waiters
        self._messages: dict[str, MessageConnection] = {}  # the cached message connection per user
        self._solicited: dict[int, tuple[str, str, queue.Queue[Any]]] = {}  # our ConnectToPeer tokens

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
        self._spawn(sock, where, greeted=True, connection=MessageConnection(sock, username))

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
        self, sock: socket.socket, where: str, *, greeted: bool, connection: MessageConnection | None = None
    ) -> None:
        if not self._track(sock):
            return
        thread = threading.Thread(
            target=self._peer, args=(sock, where, greeted, connection), name="soulseek-peer", daemon=True
        )
        thread.start()

    def _peer(
        self, sock: socket.socket, where: str, greeted: bool, connection: MessageConnection | None
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
                    connection = MessageConnection(sock, init.username)
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
                    self._peer_message(connection, frame)
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
                self._peer_closed(connection)
            if not handed:
                self._untrack(sock)

    def _pierced(self, sock: socket.socket, init: PierceFirewall) -> tuple[MessageConnection | None, bool]:
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
        connection = MessageConnection(sock, username)
        self._cache(connection)
        waiter.put(connection)
        return connection, False

    def _cache(self, connection: MessageConnection) -> None:
        """The user's message connection from now on (§1.0: it replaces any cached one)."""
        with self._state:
            self._messages[connection.username] = connection

    def _addressed(self, payload: Payload) -> None:
        """GetPeerAddress's answer {username, ip, port}: to everyone waiting for that user."""
        username, host, port = payload.string(), payload.ipv4(), payload.uint32()
        with self._state:
            waiters = self._addresses.pop(username, [])
        for waiter in waiters:
            waiter.put((host, port))

    def _address(self, username: str) -> tuple[str, int]:
        """GetPeerAddress, as Soulseek.NET asks it; UserOffline for an offline user (0.0.0.0)."""
        waiter: queue.Queue[tuple[str, int]] = queue.Queue()
        with self._state:
            self._addresses.setdefault(username, []).append(waiter)
        self._send(messages.username_request(Code.GET_PEER_ADDRESS, username))
        try:
            host, port = waiter.get(timeout=ADDRESS_S)
        except queue.Empty:
            raise SoulseekError(f"Failed to retrieve address for user {username}: timed out") from None
        if host == "0.0.0.0":
            raise UserOffline(f"User {username} appears to be offline")
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

    def _message_connection(self, username: str) -> MessageConnection:
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
        connection = MessageConnection(sock, username)
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


def shut(sock: socket.socket) -> None:
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

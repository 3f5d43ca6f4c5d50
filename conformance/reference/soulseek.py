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

Downloading (`soulseek_downloads`), asking about users (`soulseek_users`: status, endpoint,
browse, user info, folder contents) and the peer connections they need (`soulseek_peers`) are
mixins of the connection; this module is the server session.

Threads, not asyncio: the reference's HTTP server is threaded and calls `send` from its
request threads; a blocking socket with a write lock is the simplest thing that is correct.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time

from conformance.network import messages
from conformance.network.codec import Builder, Code, Frame, ProtocolError, read_frame
from conformance.peers.responses import PeerResponse
from conformance.reference.network import Incoming, Receiver, SearchDelivery, SoulseekError, SoulseekNetwork
from conformance.reference.soulseek_downloads import SoulseekDownloads
from conformance.reference.soulseek_peers import TIMEOUT_S, MessageConnection, SoulseekPeers, log, shut
from conformance.reference.soulseek_rooms import ROOM_FRAMES, SoulseekRooms
from conformance.reference.soulseek_users import SoulseekUsers

LOGIN_FRAMES = 100  # frames skipped before the Login answer before giving up on the server
RECONNECT_TRIES, RECONNECT_PAUSE_S = 20, 0.25  # after a dropped connection (never after a kick)
FILE_SEARCH = 26  # server code: {uint32 token, string query} from the client


class SoulseekConnection(SoulseekDownloads, SoulseekUsers, SoulseekRooms, SoulseekPeers, SoulseekNetwork):
    def __init__(self, host: str, port: int, username: str, password: str) -> None:
        self.address = (host, port)
        self.username, self._password = username, password
        self.logged_in = False
        self._socket: socket.socket | None = None
        self._write = threading.Lock()
        self._reader: threading.Thread | None = None
        self._closing = False
        self._searches: dict[int, SearchDelivery] = {}  # by token, for as long as the client lives
        self._searches_lock = threading.Lock()
        self._state = threading.Lock()  # guards the peers' and the downloads' tables
        self._init_peers()
        self._init_downloads()
        self._init_users()

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
                elif frame.code == Code.GET_STATUS:
                    self._status_arrived(frame.reader())
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
            shut(peer)
        if self._reader is not None:
            self._reader.join(TIMEOUT_S)

    def _close_listener(self) -> None:
        if self._listener is not None:
            shut(self._listener)

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

    def _peer_message(self, connection: MessageConnection, frame: Frame) -> None:
        """A peer message other than a search response, to the part it concerns."""
        if not self._user_message(connection, frame):
            self._transfer_message(connection, frame)

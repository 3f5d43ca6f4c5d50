"""The reference server as a Soulseek client: sends, receives and acknowledges over the protocol.

`conformance serve --soulseek HOST:PORT` uses this instead of the in-process simulation, so the
whole chain checker → REST API → Soulseek protocol → peers runs as it does with a real slskd
logged in to `conformance network`. It speaks through the same codec as the network
(`conformance.network.codec`/`messages`), logs in as Soulseek.NET does (Login and
SetListenPort in one write, then wait only for the Login answer), and then reads in a
background thread: private messages go to the receiver (slskd's `HandleMessageAsync`); a
dropped connection is logged in again (the server then replays what was not acknowledged),
KickedFromServer leaves it disconnected, as another login of the same name took over.

Threads, not asyncio: the reference's HTTP server is threaded and calls `send` from its
request threads; a blocking socket with a write lock is the simplest thing that is correct.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time

from conformance.network import messages
from conformance.network.codec import Code, ProtocolError, read_frame
from conformance.reference.network import Incoming, Receiver, SoulseekError, SoulseekNetwork

log = logging.getLogger("conformance.reference.soulseek")
TIMEOUT_S = 10.0  # to connect, and for the Login answer (Soulseek.NET's message timeout is 5 s)
LOGIN_FRAMES = 100  # frames skipped before the Login answer before giving up on the server
RECONNECT_TRIES, RECONNECT_PAUSE_S = 20, 0.25  # after a dropped connection (never after a kick)


class SoulseekConnection(SoulseekNetwork):
    def __init__(self, host: str, port: int, username: str, password: str) -> None:
        self.address = (host, port)
        self.username, self._password = username, password
        self.logged_in = False
        self._socket: socket.socket | None = None
        self._write = threading.Lock()
        self._reader: threading.Thread | None = None
        self._closing = False

    def start(self, receive: Receiver) -> None:
        """Connect and log in; SoulseekError when the server is unreachable or refuses the login."""
        self._log_in()
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
            sock.sendall(messages.login_request(self.username, self._password) + messages.set_listen_port(0))
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
        if self._reader is not None:
            self._reader.join(TIMEOUT_S)

    def send(self, username: str, message: str) -> None:
        self._check_send(username)
        self._send(messages.private_message_command(username, message))

    def acknowledge(self, message_id: int) -> None:
        self._require_login("acknowledge private messages")
        self._send(messages.acknowledge(message_id))

    def _send(self, frame: bytes) -> None:
        if self._socket is None:
            raise SoulseekError("not connected to the Soulseek server")
        try:
            with self._write:
                self._socket.sendall(frame)
        except OSError as error:
            self.logged_in = False
            raise SoulseekError(f"the Soulseek server connection failed: {error}") from None

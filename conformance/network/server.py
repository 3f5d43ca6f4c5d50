"""The simulated Soulseek server on a TCP port: asyncio, one event loop in one background thread.

Why asyncio rather than a thread per connection: every rule of the network (`state.Network`)
touches shared state (a private message goes from one session to another, a login kicks
another session), and on a single event loop those rules run one at a time without locks.
The loop lives in its own thread so that the same server serves an asyncio test client
(aioslsk), the threaded reference server and the CLI alike; the control API reaches the state
only through `NetworkServer.call`, which runs a function on the loop thread.

A connection that sends a frame or a field that lies about its length is closed with one log
line and nothing else happens: its session is logged out, every other session carries on.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Callable
from typing import TypeVar

from conformance.network import messages
from conformance.network.codec import HEADER, Code, Frame, Payload, ProtocolError, body_length, split_body
from conformance.network.messages import ONLINE
from conformance.network.rooms import COMMANDS as ROOM_COMMANDS
from conformance.network.rooms import ChatRooms
from conformance.network.sharing import SharingPeers
from conformance.network.state import GREETING, Network, PeerKind
from conformance.peers.library import load
from conformance.peers.rooms import Room
from conformance.peers.rooms import load as load_rooms

log = logging.getLogger("conformance.network")
BODY_TIMEOUT_S = 30.0  # a frame's body must follow its length within this; a stalled frame is a lie
CALL_TIMEOUT_S = 10.0
T = TypeVar("T")


class Connection:
    """One client's TCP connection: reads frames, applies them to the network, writes answers."""

    def __init__(
        self,
        network: Network,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        sharing: SharingPeers | None = None,
        rooms: ChatRooms | None = None,
    ) -> None:
        self.network = network
        self.sharing = sharing
        self.rooms = rooms
        self.reader, self.writer = reader, writer
        peer = writer.get_extra_info("peername") or ("?", 0)
        self.host, self.port = str(peer[0]), int(peer[1])
        self.listen_port = self.obfuscated_port = 0
        self.status = ONLINE
        self.username: str | None = None

    def deliver(self, frame: bytes) -> None:
        if not self.writer.is_closing():
            self.writer.write(frame)

    def close(self) -> None:
        self.writer.close()

    async def serve(self) -> None:
        try:
            while not self.writer.is_closing():
                frame = await self._read_frame()
                self._handle(frame)
                await self.writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the client went away
        except (ProtocolError, TimeoutError) as error:
            log.warning("closing %s:%d (%s): %s", self.host, self.port, self.username or "-", error)
        finally:
            self.network.logout(self)
            self.writer.close()

    async def _read_frame(self) -> Frame:
        length = body_length(await self.reader.readexactly(HEADER.size))
        try:
            body = await asyncio.wait_for(self.reader.readexactly(length), BODY_TIMEOUT_S)
        except TimeoutError:
            raise ProtocolError(f"the {length}-byte frame body did not arrive") from None
        return split_body(body)

    def _handle(self, frame: Frame) -> None:
        payload = frame.reader()
        if frame.code == Code.LOGIN:
            self._login(payload)
            return
        if self.username is None or not self.network.holds(self.username, self):
            return  # not logged in (or kicked meanwhile): the server ignores everything but Login
        self.network.record_command(self.username, frame.code)
        handler = HANDLERS.get(frame.code)
        if handler is not None:
            handler(self, payload)
        elif frame.code in ROOM_COMMANDS and self.rooms is not None:
            self.rooms.command(self.username, frame.code, payload)
        elif frame.code not in NO_ANSWER_EXPECTED:
            self._unimplemented(frame.code, None)

    def _unimplemented(self, code: int, answer: str | None) -> None:
        """Counted for the control API and logged once per user and code: a client waiting for an
        answer the network never sends times out, and the run must tell that from a failure."""
        assert self.username is not None
        if self.network.record_unimplemented(self.username, code, answer):
            what = f"answered {answer}" if answer else "not answered"
            log.info("%s sent code %d, which the network does not implement: %s", self.username, code, what)

    def _login(self, payload: Payload) -> None:
        request = messages.read_login_request(payload)
        if self.username is not None:
            return  # one login per connection
        reason = self.network.login(self, request.username, request.password)
        if reason is not None:
            log.info("login refused for %r from %s:%d: %s", request.username, self.host, self.port, reason)
            self.deliver(messages.login_rejected(reason))
            self.close()
            return
        self.username = request.username
        self.network.record_command(self.username, Code.LOGIN)
        self.deliver(messages.login_accepted(GREETING, self.host, request.password))
        self.network.replay(self.username)  # after the answer: the client reads nothing before it

    # --- the commands a logged-in client sends -------------------------------------------------
    def _set_listen_port(self, payload: Payload) -> None:
        self.listen_port, self.obfuscated_port = messages.read_set_listen_port(payload)

    def _set_online_status(self, payload: Payload) -> None:
        assert self.username is not None  # unsigned: it is echoed back in GetStatus and WatchUser
        self.network.set_status(self.username, payload.uint32())

    def _ping(self, payload: Payload) -> None:
        self.deliver(messages.ping())

    def _check_privileges(self, payload: Payload) -> None:
        self.deliver(messages.privileges(0))

    def _watch_user(self, payload: Payload) -> None:
        assert self.username is not None
        username = payload.string()
        status = self.network.status(username)
        self.deliver(messages.watch_user(username, status))
        if status is not None:  # a name nobody has is not watched, as on the real server
            self.network.watch(self.username, username)

    def _unwatch_user(self, payload: Payload) -> None:
        assert self.username is not None
        self.network.unwatch(self.username, payload.string())

    def _connect_to_peer(self, payload: Payload) -> None:
        assert self.username is not None
        request = messages.read_connect_to_peer_request(payload)
        if self.sharing is not None and self.sharing.connect_to(
            self, request.username, request.token, request.type
        ):
            return  # a sharing peer connects to the requester itself
        self.network.connect_to_peer(self.username, request)

    def _file_search(self, payload: Payload) -> None:
        assert self.username is not None
        token, query = payload.uint32(), payload.string()
        if self.sharing is None:
            self._unimplemented(Code.FILE_SEARCH, None)
            return
        self.sharing.search(self, self.username, token, query)

    def _cant_connect_to_peer(self, payload: Payload) -> None:
        assert self.username is not None
        token, requester = messages.read_cant_connect_to_peer(payload)
        if requester is not None:
            self.network.cant_connect(self.username, requester, token)

    def _get_status(self, payload: Payload) -> None:
        username = payload.string()
        shared = self.sharing.status(username) if self.sharing is not None else None
        if shared is not None:
            self.deliver(messages.user_status(username, shared))
            return
        self.deliver(messages.user_status(username, self.network.status(username) or messages.OFFLINE))

    def _get_peer_address(self, payload: Payload) -> None:
        username = payload.string()
        shared = self.sharing.address(username) if self.sharing is not None else None
        self.deliver(messages.peer_address(username, shared or self.network.address(username)))

    def _get_user_stats(self, payload: Payload) -> None:
        self.deliver(messages.user_stats(payload.string()))

    def _private_message(self, payload: Payload) -> None:
        recipient, text = messages.read_private_message_command(payload)
        assert self.username is not None
        self.network.private_message(self.username, recipient, text)

    def _acknowledge(self, payload: Payload) -> None:
        assert self.username is not None
        self.network.acknowledge(self.username, payload.uint32())


# Every code is recorded per account. Those in NO_ANSWER_EXPECTED only inform the server (the
# real one answers none of them); any other code without a handler is a request the network
# does not implement: counted in the control API (`GET /unimplemented`) and logged.
NO_ANSWER_EXPECTED = frozenset(
    {
        Code.SHARED_FOLDERS_AND_FILES,
        Code.HAVE_NO_PARENTS,
        Code.ACCEPT_CHILDREN,
        Code.SEND_UPLOAD_SPEED,
        Code.BRANCH_LEVEL,
        Code.BRANCH_ROOT,
        Code.CHILD_DEPTH,
        Code.PRIVATE_ROOM_TOGGLE,
    }
)
HANDLERS: dict[int, Callable[[Connection, Payload], None]] = {
    Code.SET_LISTEN_PORT: Connection._set_listen_port,
    Code.SET_ONLINE_STATUS: Connection._set_online_status,
    Code.PING: Connection._ping,
    Code.CHECK_PRIVILEGES: Connection._check_privileges,
    Code.WATCH_USER: Connection._watch_user,
    Code.UNWATCH_USER: Connection._unwatch_user,
    Code.CONNECT_TO_PEER: Connection._connect_to_peer,
    Code.FILE_SEARCH: Connection._file_search,
    Code.CANT_CONNECT_TO_PEER: Connection._cant_connect_to_peer,
    Code.GET_STATUS: Connection._get_status,
    Code.GET_PEER_ADDRESS: Connection._get_peer_address,
    Code.GET_USER_STATS: Connection._get_user_stats,
    Code.PRIVATE_MESSAGE: Connection._private_message,
    Code.ACKNOWLEDGE_PRIVATE_MESSAGE: Connection._acknowledge,
}


class NetworkServer:
    """`with NetworkServer(peers) as server:` serves on `server.port` until the block ends."""

    def __init__(
        self,
        peers: dict[str, PeerKind] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        sharing: SharingPeers | bool = True,
        chat_rooms: tuple[Room, ...] | None = None,
    ):
        """`sharing`: the users who share files and answer searches (True: the default library's;
        False: none, and searches go unanswered, counted as unimplemented). `chat_rooms`: the
        rooms (None: the default rooms file's, its members numbered by the sharing peers)."""
        self.network = Network(peers or {})
        self.sharing = SharingPeers(load()) if sharing is True else sharing or None
        library = tuple(self.sharing.peers.values()) if self.sharing is not None else load()
        self.rooms = ChatRooms(self.network, load_rooms(library) if chat_rooms is None else chat_rooms)
        if self.sharing is not None:
            self.sharing.sessions = self._session_of
        self._host, self._port = host, port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._connections: dict[Connection, asyncio.Task[None]] = {}

    def _session_of(self, username: str) -> Connection | None:
        """The logged-in connection of `username` (where a sharing peer sends a file)."""
        account = self.network.accounts.get(username)
        session = account.session if account is not None else None
        return session if isinstance(session, Connection) else None

    def start(self) -> NetworkServer:
        """Bind and serve in a daemon thread; OSError when the port is taken."""
        loop = asyncio.new_event_loop()
        try:
            self._server = loop.run_until_complete(asyncio.start_server(self._accept, self._host, self._port))
            if self.sharing is not None:
                loop.run_until_complete(self.sharing.start())
        except BaseException:
            loop.close()
            raise
        self._loop = loop
        self._thread = threading.Thread(target=loop.run_forever, name="soulseek-network", daemon=True)
        self._thread.start()
        return self

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connection = Connection(self.network, reader, writer, self.sharing, self.rooms)
        task = asyncio.current_task()
        assert task is not None
        self._connections[connection] = task
        try:
            await connection.serve()
        finally:
            del self._connections[connection]

    def stop(self) -> None:
        if self._loop is None:
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(CALL_TIMEOUT_S)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(CALL_TIMEOUT_S)
        self._loop.close()
        self._loop = self._thread = self._server = None

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        if self.sharing is not None:
            await self.sharing.stop()
        await self.rooms.stop()
        # Closing each transport ends its reader with end-of-stream: every session ends as a
        # client's disconnect would (a cancelled task would make asyncio log a traceback).
        tasks = list(self._connections.values())
        for connection in list(self._connections):
            connection.close()
        await asyncio.gather(*tasks, return_exceptions=True)

    def call(self, function: Callable[..., T], *args: object) -> T:
        """Run `function(*args)` on the loop thread (where the network's state lives)."""
        if self._loop is None:
            raise RuntimeError("the network is not started")

        async def run() -> T:
            return function(*args)

        future: concurrent.futures.Future[T] = asyncio.run_coroutine_threadsafe(run(), self._loop)
        return future.result(CALL_TIMEOUT_S)

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the network is not started")
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def host(self) -> str:
        return self._host

    def __enter__(self) -> NetworkServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

"""The network's simulated users who share files: their own listening sockets, and their answers
to searches, sent peer to peer as real clients send them.

Each sharing peer (`conformance.peers.library`) listens on its own loopback port, which the
server gives out in GetPeerAddress, and accepts a PeerInit or a PierceFirewall there. A
FileSearch a client sends the server is handed to every peer; one that answers
(`conformance.peers.responses.answer`) waits its delay, then connects to the searcher's listen
port (as SetListenPort announced it), introduces itself with PeerInit(P) and sends its
SearchResponse (peer code 9, zlib body). When that direct connection fails, the peer asks the
searcher to connect to it instead (the server sends the searcher ConnectToPeer for the peer,
with the peer's real port) and sends the response on the connection that arrives with the
matching PierceFirewall. A ConnectToPeer a client sends for a sharing peer is answered the same
way: the peer connects to the client and writes PierceFirewall(token). Every response sent is
recorded in a `SearchLog` (the checker's oracle, `GET /searches` on the control API), wrong
tokens and late answers included.

Every message connection between a peer and a client (either side opened it) is read for the
client's download requests, which `uploading.Uploads` serves by the peer's `upload` behaviour,
recorded in its `TransferLog` (`GET /transfers`). An F connection that arrives on a peer's
listener (PeerInit F + the 4-byte token) or through a ConnectToPeer F is handed to it too. An
offline peer (`online: false`) has the address 0.0.0.0:0 and status offline, an away one status
away. A browse, a user info or a folder contents request on a message connection is answered by
`browsing`.

Everything here runs on the network's one event loop, like the rest of the server's rules.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

from conformance.network import messages
from conformance.network.codec import HEADER, UINT32, ProtocolError
from conformance.network.messages import PeerAddress
from conformance.network.peer_messages import (
    PeerInit,
    PierceFirewall,
    build_peer_init,
    build_pierce_firewall,
    build_search_response,
    parse_init,
)
from conformance.network.uploading import Stream, Uploads
from conformance.peers.library import Presence, SharingPeer
from conformance.peers.record import SearchLog
from conformance.peers.responses import PeerResponse, answer

log = logging.getLogger("conformance.network")
LOOPBACK = "127.0.0.1"
CONNECT_TIMEOUT_S = 5.0
PIERCE_WAIT_S = (
    10.0  # how long a peer waits for the searcher's PierceFirewall (Soulseek.NET's connect timeout)
)
MAX_INIT = 4096
OFFLINE_ADDRESS = PeerAddress("0.0.0.0", 0, 0)  # what GetPeerAddress answers for an offline user
STATUS = {Presence.OFFLINE: messages.OFFLINE, Presence.AWAY: messages.AWAY, Presence.ONLINE: messages.ONLINE}


class Searcher(Protocol):
    """The searching client's session, as far as a peer needs it."""

    host: str
    listen_port: int
    username: str | None

    def deliver(self, frame: bytes) -> None: ...


class SharingPeers:
    def __init__(self, peers: tuple[SharingPeer, ...], seed: int = 0) -> None:
        """`seed`: the library's, which also decides every shared file's bytes (`uploads.content`)."""
        self.peers = {peer.username: peer for peer in peers}
        self.log = SearchLog()
        self.uploads = Uploads(seed, self)
        # who is logged in, by username (the network server sets it): where a peer sends a file
        self.sessions: Callable[[str], Searcher | None] = lambda username: None
        self.ports: dict[str, int] = {}
        self._servers: list[asyncio.Server] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._pierce_tokens = itertools.count(0x40000000)
        self._awaiting: dict[int, asyncio.Future[Stream]] = {}

    async def start(self) -> None:
        for username in self.peers:
            server = await asyncio.start_server(
                lambda r, w, name=username: self._accept(name, r, w), LOOPBACK, 0
            )
            self._servers.append(server)
            self.ports[username] = int(server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        for server in self._servers:
            server.close()
        for writer in list(self._writers):
            writer.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def address(self, username: str) -> PeerAddress | None:
        """Where a sharing peer listens; None for any other user."""
        port = self.ports.get(username)
        if port is None:
            return None
        return PeerAddress(LOOPBACK, port, 0) if self.peers[username].online else OFFLINE_ADDRESS

    def status(self, username: str) -> int | None:
        """A sharing peer's status as GetStatus gives it (its presence: offline, away, online);
        None for any other user."""
        peer = self.peers.get(username)
        return None if peer is None else STATUS[peer.presence]

    def view(self) -> list[dict[str, Any]]:
        """The sharing peers, with their shares and numbers, as `GET /peers` lists them."""
        return [
            {"kind": "sharing", "received": [], **peer.as_json(), "port": self.ports.get(peer.username)}
            for peer in self.peers.values()
        ]

    # --- searches ----------------------------------------------------------------------------
    def search(self, searcher: Searcher, searcher_name: str, token: int, query: str) -> None:
        """A FileSearch received from `searcher_name`: every peer that has an answer sends it."""
        self.log.received(searcher_name, token, query)
        for peer in self.peers.values():
            response = answer(peer, query, token)
            if response is not None:
                self._spawn(self._answer(searcher, searcher_name, token, peer, response))

    async def _answer(
        self, searcher: Searcher, searcher_name: str, token: int, peer: SharingPeer, response: PeerResponse
    ) -> None:
        await asyncio.sleep(peer.delay_s)
        frame = build_search_response(response)
        writer = await self._message_connection(searcher, searcher_name, peer, token)
        if writer is None:
            log.info("%s could not reach %s to answer search %d", peer.username, searcher_name, token)
            return
        writer.write(frame)
        with contextlib.suppress(ConnectionError):
            await writer.drain()
            self.log.sent(searcher_name, token, response)

    async def _message_connection(
        self, client: Searcher, client_name: str, peer: SharingPeer, token: int = 0
    ) -> asyncio.StreamWriter | None:
        """A new message connection from `peer` to the client, direct or else indirect, read for
        the client's requests from then on."""
        opened = await self._open_direct(client, build_peer_init(peer.username, "P", token))
        if opened is None:
            opened = await self._open_indirect(client, peer, "P")
        if opened is None:
            return None
        self._serve(peer, client_name, *opened)
        return opened[1]

    async def message_connection(self, peer: SharingPeer, downloader: str) -> Stream | None:
        """For the uploads: a new message connection to `downloader` (not yet read)."""
        client = self.sessions(downloader)
        if client is None:
            return None
        opened = await self._open_direct(client, build_peer_init(peer.username, "P", 0))
        return opened or await self._open_indirect(client, peer, "P")

    async def transfer_connection(self, peer: SharingPeer, downloader: str, token: int) -> Stream | None:
        """For the uploads: an F connection to `downloader` that has carried the 4-byte `token`:
        direct (PeerInit F, then the token), else indirect (PierceFirewall, then the token)."""
        client = self.sessions(downloader)
        if client is None:
            return None
        opened = await self._open_direct(
            client, build_peer_init(peer.username, "F", token) + UINT32.pack(token)
        )
        if opened is None:
            opened = await self._open_indirect(client, peer, "F")
            if opened is not None:
                opened[1].write(UINT32.pack(token))
        return opened

    async def _open_direct(self, client: Searcher, greeting: bytes) -> Stream | None:
        if not client.listen_port:
            return None
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(client.host, client.listen_port), CONNECT_TIMEOUT_S
            )
        except (OSError, TimeoutError):
            return None
        writer.write(greeting)
        return reader, writer

    async def _open_indirect(self, client: Searcher, peer: SharingPeer, type_: str) -> Stream | None:
        """Ask the client (through the server) to connect to the peer; the connection that
        arrives at the peer's listener with the token's PierceFirewall is the one."""
        token = next(self._pierce_tokens)
        arrived: asyncio.Future[Stream] = asyncio.get_running_loop().create_future()
        self._awaiting[token] = arrived
        where = PeerAddress(LOOPBACK, self.ports[peer.username], 0)
        client.deliver(messages.connect_to_peer(peer.username, type_, where, token))
        try:
            return await asyncio.wait_for(arrived, PIERCE_WAIT_S)
        except TimeoutError:
            return None
        finally:
            self._awaiting.pop(token, None)

    def connect_to(self, requester: Searcher, peer_name: str, token: int, type_: str = "P") -> bool:
        """A client's ConnectToPeer for a sharing peer: the peer connects to the client and
        writes PierceFirewall(token); for type F it then reads the transfer's 4-byte token.
        False when `peer_name` shares nothing here or is offline."""
        peer = self.peers.get(peer_name)
        if peer is None or not peer.online:
            return False
        self._spawn(self._pierce(requester, peer, token, type_))
        return True

    async def _pierce(self, requester: Searcher, peer: SharingPeer, token: int, type_: str) -> None:
        opened = await self._open_direct(requester, build_pierce_firewall(token))
        if opened is None:
            return
        if type_ == "F":
            await self._transfer_arrived(peer, *opened)
        else:
            self._serve(peer, requester.username, *opened)

    # --- connections ---------------------------------------------------------------------------
    async def _accept(
        self, username: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """A connection to a peer's listener: its init frame, then what the connection is for
        (peer messages, a transfer, or the answer to one of the peer's solicitations)."""
        peer = self.peers[username]
        self._writers.add(writer)
        handed = False
        try:
            header = await reader.readexactly(HEADER.size)
            (length,) = HEADER.unpack(header)
            if not 1 <= length <= MAX_INIT:
                raise ProtocolError(f"init frame length {length} out of range")
            init = parse_init(await reader.readexactly(length))
            if isinstance(init, PierceFirewall):
                arrived = self._awaiting.get(init.token)
                if arrived is not None and not arrived.done():
                    arrived.set_result((reader, writer))
                    handed = True  # whoever solicited it uses it (and closes it)
                    return
                await self.uploads.serve(peer, None, reader, writer)
            elif isinstance(init, PeerInit) and init.type == "F":
                await self._transfer_arrived(peer, reader, writer)
            else:
                await self.uploads.serve(peer, init.username, reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError, ProtocolError) as error:
            log.debug("%s's listener: a connection ended: %s", username, error)
        finally:
            if not handed:
                self._writers.discard(writer)
                writer.close()

    async def _transfer_arrived(
        self, peer: SharingPeer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """An F connection the downloader opened: the 4-byte token says which transfer it is."""
        (token,) = UINT32.unpack(await reader.readexactly(UINT32.size))
        pending = self.uploads.arrived(peer, token)
        if pending is None:
            log.info("%s: a transfer connection with unknown token %d", peer.username, token)
            writer.close()
            return
        await self.uploads.stream(pending, reader, writer)

    def _serve(
        self,
        peer: SharingPeer,
        client: str | None,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        """Read a message connection the peer opened until the other end closes it."""
        self._writers.add(writer)

        async def serve() -> None:
            try:
                await self.uploads.serve(peer, client, reader, writer)
            finally:
                self._writers.discard(writer)
                writer.close()

        self._spawn(serve())

    def spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        """Run `work` on the network's loop, cancelled when the network stops."""
        self._spawn(work)

    @staticmethod
    async def _drain(reader: asyncio.StreamReader) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while await reader.read(65536):
                pass

    def _spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

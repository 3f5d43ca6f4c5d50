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

Everything here runs on the network's one event loop, like the rest of the server's rules.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Coroutine
from typing import Any, Protocol

from conformance.network import messages
from conformance.network.codec import HEADER, ProtocolError
from conformance.network.messages import PeerAddress
from conformance.network.peer_messages import (
    PierceFirewall,
    build_peer_init,
    build_pierce_firewall,
    build_search_response,
    parse_init,
)
from conformance.peers.library import SharingPeer
from conformance.peers.record import SearchLog
from conformance.peers.responses import PeerResponse, answer

log = logging.getLogger("conformance.network")
LOOPBACK = "127.0.0.1"
CONNECT_TIMEOUT_S = 5.0
PIERCE_WAIT_S = (
    10.0  # how long a peer waits for the searcher's PierceFirewall (Soulseek.NET's connect timeout)
)
MAX_INIT = 4096


class Searcher(Protocol):
    """The searching client's session, as far as a peer needs it."""

    host: str
    listen_port: int

    def deliver(self, frame: bytes) -> None: ...


class SharingPeers:
    def __init__(self, peers: tuple[SharingPeer, ...]) -> None:
        self.peers = {peer.username: peer for peer in peers}
        self.log = SearchLog()
        self.ports: dict[str, int] = {}
        self._servers: list[asyncio.Server] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._pierce_tokens = itertools.count(0x40000000)
        self._awaiting: dict[int, asyncio.Future[asyncio.StreamWriter]] = {}

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
        return None if port is None else PeerAddress(LOOPBACK, port, 0)

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
        writer = await self._connect_direct(searcher, build_peer_init(peer.username, "P", token))
        if writer is None:
            writer = await self._connect_indirect(searcher, peer)
        if writer is None:
            log.info("%s could not reach %s to answer search %d", peer.username, searcher_name, token)
            return
        writer.write(frame)
        with contextlib.suppress(ConnectionError):
            await writer.drain()
            self.log.sent(searcher_name, token, response)

    async def _connect_direct(self, searcher: Searcher, greeting: bytes) -> asyncio.StreamWriter | None:
        if not searcher.listen_port:
            return None
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(searcher.host, searcher.listen_port), CONNECT_TIMEOUT_S
            )
        except (OSError, TimeoutError):
            return None
        writer.write(greeting)
        self._hold(reader, writer)
        return writer

    async def _connect_indirect(self, searcher: Searcher, peer: SharingPeer) -> asyncio.StreamWriter | None:
        """Ask the searcher (through the server) to connect to the peer; the connection that
        arrives with the token's PierceFirewall carries the answer."""
        token = next(self._pierce_tokens)
        arrived: asyncio.Future[asyncio.StreamWriter] = asyncio.get_running_loop().create_future()
        self._awaiting[token] = arrived
        where = PeerAddress(LOOPBACK, self.ports[peer.username], 0)
        searcher.deliver(messages.connect_to_peer(peer.username, "P", where, token))
        try:
            return await asyncio.wait_for(arrived, PIERCE_WAIT_S)
        except TimeoutError:
            return None
        finally:
            self._awaiting.pop(token, None)

    def connect_to(self, requester: Searcher, peer_name: str, token: int) -> bool:
        """A client's ConnectToPeer for a sharing peer: the peer connects to the client and
        writes PierceFirewall(token). False when `peer_name` shares nothing here."""
        if peer_name not in self.peers:
            return False
        self._spawn(self._connect_direct(requester, build_pierce_firewall(token)))
        return True

    # --- connections ---------------------------------------------------------------------------
    async def _accept(
        self, username: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """A connection to a peer's listener: its init frame, then whatever comes, read and let go."""
        self._writers.add(writer)
        try:
            header = await reader.readexactly(HEADER.size)
            (length,) = HEADER.unpack(header)
            if not 1 <= length <= MAX_INIT:
                raise ProtocolError(f"init frame length {length} out of range")
            init = parse_init(await reader.readexactly(length))
            if isinstance(init, PierceFirewall) and init.token in self._awaiting:
                self._awaiting[init.token].set_result(writer)
            await self._drain(reader)
        except (asyncio.IncompleteReadError, ConnectionError, ProtocolError) as error:
            log.debug("%s's listener: a connection ended: %s", username, error)
        finally:
            self._writers.discard(writer)
            writer.close()

    def _hold(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Keep a connection the peer opened until the other end closes it (as a client would)."""
        self._writers.add(writer)

        async def hold() -> None:
            try:
                await self._drain(reader)
            finally:
                self._writers.discard(writer)
                writer.close()

        self._spawn(hold())

    @staticmethod
    async def _drain(reader: asyncio.StreamReader) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while await reader.read(65536):
                pass

    def _spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

"""An outside check of the sharing peers' frames: aioslsk (GPL-3.0, a test dependency only), a
Soulseek client we did not write, searches through the simulated network, and what it decodes
from each peer's PeerInit (or PierceFirewall) and zlib-compressed SearchResponse must be, peer by
peer and field by field, what the network's oracle (`GET /searches`) says that peer sent. If our
frames only round-tripped through our own codec, a layout mistake shared by the builder and the
reader would go unseen; a third-party decoder sees it.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest

pytest.importorskip("aioslsk", reason="aioslsk (the `test` extra) is not installed")

from aioslsk.client import SoulSeekClient
from aioslsk.events import MessageReceivedEvent, PeerInitializedEvent, SearchResultEvent
from aioslsk.protocol.messages import ConnectToPeer
from aioslsk.protocol.primitives import FileData
from aioslsk.search.model import SearchResult

from conformance.network.codec import Code
from conformance.network.control import ControlServer
from conformance.network.control_client import ControlClient
from conformance.network.server import NetworkServer
from conformance.peers.library import WRONG_TOKEN_MASK, SharedFile
from conformance.peers.responses import PeerResponse
from tests.aioslsk_client import WAIT_S, logged_in, until
from tests.servers.local import closed_port

# Every peer of the default library that shares "conformance" except the crowd of 30 that also
# shares "chorus": the numbers that tell peers apart (a queue, a slow lane without a free slot,
# one file only, a late answer, a wrong token) and sharing-peer's unicode, backslash-separated
# paths, three kinds of attributes and its locked folder, in one search.
FEW_PEERS_TEXT = "conformance -chorus"
FEW_PEERS = (
    {"sharing-peer", "busy-peer", "slow-peer", "few-files-peer", "late-peer", "wrong-token-peer"}
    | {
        f"{kind}-peer"
        for kind in ("instant", "refusing", "denying", "failing", "dropping", "resizing", "silent")
    }
    | {"away-peer", "slow-answering-peer", "dropping-answering-peer"}
)
# the transfer and the Users peers share the common word too (a slow or dropping answer to a
# browse is not to a search); offline-peer is not reached, empty-peer shares nothing
CROWD_TEXT = "chorus"
CROWD = {f"crowd-peer-{n:02d}" for n in range(1, 31)}


class Connection(NamedTuple):
    """How a peer connection came to aioslsk, as aioslsk saw it."""

    username: str | None
    type: str
    incoming: bool  # True: accepted on aioslsk's listening port; False: aioslsk connected out


class Seen:
    """What aioslsk reported: results, peer connections, relayed ConnectToPeer (aioslsk holds
    listeners weakly: keep this alive)."""

    def __init__(self, client: SoulSeekClient) -> None:
        self.results: list[SearchResult] = []
        self.connections: list[Connection] = []
        self.connect_requests: list[ConnectToPeer.Response] = []
        client.events.register(SearchResultEvent, self.on_result)
        client.events.register(PeerInitializedEvent, self.on_peer)
        client.events.register(MessageReceivedEvent, self.on_message)

    async def on_result(self, event: SearchResultEvent) -> None:
        self.results.append(event.result)

    async def on_peer(self, event: PeerInitializedEvent) -> None:
        peer = event.connection
        self.connections.append(Connection(peer.username, peer.connection_type, peer.incoming))

    async def on_message(self, event: MessageReceivedEvent) -> None:
        if isinstance(event.message, ConnectToPeer.Response):
            self.connect_requests.append(event.message)


def decoded_file(file: FileData, locked: bool) -> dict[str, Any]:
    """slskd's File JSON (the oracle's shape) for what aioslsk decoded: the model's own mapping of
    attributes, with the record's code and extension as aioslsk read them (the model derives
    both, so they would otherwise not be compared)."""
    attributes = tuple((attribute.key, attribute.value) for attribute in file.attributes)
    shape = SharedFile(file.filename, file.filesize, attributes, locked).as_json()
    return {**shape, "code": file.unknown, "extension": file.extension}


def decoded_response(result: SearchResult) -> dict[str, Any]:
    """slskd's Response JSON (the oracle's shape) for one result aioslsk decoded."""
    shape = PeerResponse(
        username=result.username,
        token=result.ticket,
        files=(),
        locked_files=(),
        free_slot=result.has_free_slots,
        upload_speed=result.avg_speed,
        queue_length=result.queue_size,
    ).as_json()
    files = [decoded_file(file, False) for file in result.shared_items]
    locked = [decoded_file(file, True) for file in result.locked_results]
    return {
        **shape,
        "fileCount": len(files),
        "files": files,
        "lockedFileCount": len(locked),
        "lockedFiles": locked,
    }


def complaints(caplog: pytest.LogCaptureFixture, *, but: str | None = None) -> list[str]:
    """aioslsk's warnings and errors so far (a frame it cannot read is a warning: "failed to
    deserialize message", "unknown peer init message"), except those that mention `but`."""
    said = [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith("aioslsk") and record.levelno >= logging.WARNING
    ]
    return [line for line in said if but is None or but not in line]


@pytest.fixture
def network() -> Iterator[tuple[NetworkServer, ControlClient]]:
    """The network with the default library's sharing peers, and its control API (the oracle)."""
    with NetworkServer({}) as server, ControlServer(server) as control:
        yield server, ControlClient(control.url)


async def listening(server: NetworkServer) -> dict[str, Any]:
    """The one session, once its SetListenPort arrived (aioslsk sends it after the login)."""
    await until(lambda: server.call(server.network.sessions)[0]["listen_port"] > 0, "SetListenPort")
    (session,) = server.call(server.network.sessions)
    return session


async def search_and_settle(
    control: ControlClient, client: SoulSeekClient, text: str, answering: set[str]
) -> tuple[int, dict[str, Any], Seen]:
    """aioslsk searches `text`; returns its ticket, the oracle's record of that search once every
    peer in `answering` has sent its answer, and what aioslsk saw once it holds one result per
    answer sent under its ticket."""
    seen = Seen(client)
    request = await client.searches.search(text)
    ticket = request.ticket

    def answered() -> bool:  # the server reads the FileSearch on its own thread: maybe not yet
        found = control.searches(ticket)
        return len(found) == 1 and len(found[0]["responses"]) >= len(answering)

    await until(answered, f"{len(answering)} answers to {text!r}")
    (search,) = control.searches(ticket)
    under_ticket = [sent for sent in search["responses"] if sent["response"]["token"] == ticket]
    await until(lambda: len(seen.results) >= len(under_ticket), f"aioslsk's {len(under_ticket)} results")
    return ticket, search, seen


def assert_decoded_as_sent(ticket: int, search: dict[str, Any], seen: Seen, answering: set[str]) -> None:
    """Peer by peer, aioslsk's results are what the oracle says was sent under `ticket`."""
    assert Counter(sent["peer"] for sent in search["responses"]) == Counter(answering)
    sent = {s["peer"]: s["response"] for s in search["responses"] if s["response"]["token"] == ticket}
    got = Counter(result.username for result in seen.results)
    assert got == Counter(sent.keys()), "aioslsk got one result per answer sent under its ticket"
    for result in seen.results:
        assert decoded_response(result) == sent[result.username], result.username


@pytest.mark.parametrize("reachable", [True, False], ids=["direct-PeerInit", "indirect-PierceFirewall"])
def test_aioslsk_decodes_every_peers_search_response_as_the_network_recorded_it(
    network: tuple[NetworkServer, ControlClient],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    reachable: bool,
) -> None:
    """Direct: each peer connects to aioslsk's listening port with PeerInit(P). Indirect:
    aioslsk's listening port is closed after SetListenPort announced it, so each peer's direct
    connection is refused; the server relays ConnectToPeer, aioslsk connects to the peer's own
    port and pierces with the token. Either way the answers decode to what was sent."""
    server, control = network
    caplog.set_level(logging.WARNING, logger="aioslsk")

    async def scenario() -> None:
        async with logged_in(server, "alice", tmp_path) as (client, _):
            session = await listening(server)
            if not reachable:
                await client.network.disconnect_listening_ports()
                with pytest.raises(ConnectionRefusedError):
                    await asyncio.open_connection("127.0.0.1", session["listen_port"])
            ticket, search, seen = await search_and_settle(control, client, FEW_PEERS_TEXT, FEW_PEERS)

            assert (search["from"], search["token"], search["query"]) == ("alice", ticket, FEW_PEERS_TEXT)
            assert_decoded_as_sent(ticket, search, seen, FEW_PEERS)
            (misfiled,) = [s for s in search["responses"] if s["peer"] == "wrong-token-peer"]
            assert misfiled["response"]["token"] == ticket ^ WRONG_TOKEN_MASK  # aioslsk drops it
            assert complaints(caplog, but=str(ticket ^ WRONG_TOKEN_MASK)) == []
            sharing = {result.username: result for result in seen.results}["sharing-peer"]
            names = [file.filename for file in sharing.shared_items + sharing.locked_results]
            assert "Music\\東京 Conformance Club\\夜 - Night Drive.mp3" in names
            assert "Music\\Ñandú Ensemble\\Conformance Suite (2024)\\02 - Señor Sol.flac" in names
            assert [file.filename for file in sharing.locked_results] == [
                "Private\\Conformance Demos\\demo one.flac",
                "Private\\Conformance Demos\\demo two.flac",
            ]

            assert server.sharing is not None
            ports = server.sharing.ports
            if reachable:
                assert seen.connect_requests == []
                assert Counter(seen.connections) == Counter(Connection(p, "P", True) for p in FEW_PEERS)
            else:
                assert Counter((m.username, m.typ, m.ip, m.port) for m in seen.connect_requests) == Counter(
                    (p, "P", "127.0.0.1", ports[p]) for p in FEW_PEERS
                )
                assert Counter(seen.connections) == Counter(Connection(p, "P", False) for p in FEW_PEERS)

    asyncio.run(scenario())


def test_aioslsk_decodes_a_crowd_of_thirty_answers_arriving_at_once(
    network: tuple[NetworkServer, ControlClient], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Thirty peers connect and answer within milliseconds of each other: aioslsk reads every
    one, none lost or mixed up with another's (each peer's sizes and attributes differ)."""
    server, control = network
    caplog.set_level(logging.WARNING, logger="aioslsk")

    async def scenario() -> None:
        async with logged_in(server, "alice", tmp_path) as (client, _):
            await listening(server)
            ticket, search, seen = await search_and_settle(control, client, CROWD_TEXT, CROWD)
            assert search["query"] == CROWD_TEXT
            assert_decoded_as_sent(ticket, search, seen, CROWD)
            assert complaints(caplog) == []

    asyncio.run(scenario())


def test_aioslsk_reads_the_pierce_firewall_a_sharing_peer_answers_its_connect_to_peer_with(
    network: tuple[NetworkServer, ControlClient], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The other direction of an indirect connection: aioslsk cannot reach the peer (it is given
    a closed port), so it sends the server ConnectToPeer; the sharing peer connects to aioslsk's
    listening port and writes PierceFirewall(token), which aioslsk must match to its request."""
    server, control = network
    caplog.set_level(logging.WARNING, logger="aioslsk")

    async def scenario() -> None:
        async with logged_in(server, "alice", tmp_path) as (client, _):
            await listening(server)
            seen = Seen(client)
            connection = await asyncio.wait_for(
                client.network.create_peer_connection(
                    "sharing-peer", "P", ip="127.0.0.1", port=closed_port()
                ),
                WAIT_S,
            )
            assert (connection.username, connection.connection_type, connection.incoming) == (
                "sharing-peer",
                "P",
                True,
            )
            assert seen.connections == [Connection("sharing-peer", "P", True)]
            assert control.account("alice")["commands"][str(Code.CONNECT_TO_PEER)] == 1
            assert complaints(caplog) == []

    asyncio.run(scenario())

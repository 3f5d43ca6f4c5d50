"""An outside check of the sharing peers' upload side: aioslsk (GPL-3.0, a test dependency only),
a Soulseek client we did not write, downloads files from the simulated network's peers, and the
file it writes must hash to `uploads.sha256` while the network's oracle (`GET /transfers`)
records the request, the upload token it answered and every byte sent. aioslsk asks with
QueueDownload (43), not slskd's legacy TransferRequest(0), so this also covers that form.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("aioslsk", reason="aioslsk (the `test` extra) is not installed")

from aioslsk.events import MessageReceivedEvent, PeerInitializedEvent
from aioslsk.protocol.messages import ConnectToPeer
from aioslsk.transfer.model import Transfer, TransferState

from conformance.network.control import ControlServer
from conformance.network.control_client import ControlClient
from conformance.network.server import NetworkServer
from conformance.peers import library, uploads
from tests.aioslsk_client import logged_in, until

DONE_S = 10.0


@pytest.fixture
def network() -> Iterator[tuple[NetworkServer, str]]:
    with NetworkServer({}) as server, ControlServer(server) as control:
        yield server, control.url


class Seen:
    """The peer connections aioslsk initialised and the ConnectToPeer it was relayed (aioslsk
    holds listeners weakly: keep this alive)."""

    def __init__(self, client: Any) -> None:
        self.connections: list[tuple[str, str, bool]] = []
        self.relayed: list[tuple[str, str]] = []
        client.events.register(PeerInitializedEvent, self.on_peer)
        client.events.register(MessageReceivedEvent, self.on_message)

    async def on_peer(self, event: PeerInitializedEvent) -> None:
        peer = event.connection
        self.connections.append((peer.username, peer.connection_type, peer.incoming))

    async def on_message(self, event: MessageReceivedEvent) -> None:
        if isinstance(event.message, ConnectToPeer.Response):
            self.relayed.append((event.message.username, event.message.typ))


def transfers(url: str) -> list[dict[str, Any]]:
    return ControlClient(url).transfers()


async def finished(transfer: Transfer) -> None:
    for _ in range(int(DONE_S / 0.05)):
        if transfer.state.VALUE in (TransferState.COMPLETE, TransferState.FAILED, TransferState.ABORTED):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"aioslsk's download of {transfer.remote_path} did not end: {transfer.state.VALUE}")


@pytest.mark.parametrize(
    ("username", "reachable"),
    [("sharing-peer", True), ("sharing-peer", False), ("instant-peer", True)],
    ids=["queued-direct-F", "queued-indirect-F", "at-once-peer"],
)
def test_aioslsk_downloads_the_exact_bytes_and_the_log_agrees(
    network: tuple[NetworkServer, str],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    username: str,
    reachable: bool,
) -> None:
    server, url = network
    caplog.set_level(logging.WARNING, logger="aioslsk")
    peer = next(p for p in library.load() if p.username == username)
    small = [f for f in peer.files if f.size <= 65536]
    file = next((f for f in small if not f.filename.isascii()), small[0])

    def complaints() -> list[str]:
        """aioslsk's warnings before it stops (its shutdown warns of its own closing), but the
        race it starts itself: it asks for a connection directly and through the server at once,
        and a peer's PierceFirewall that arrives after the direct one won is "unknown"."""
        return [
            r.getMessage()
            for r in caplog.records
            if r.name.startswith("aioslsk")
            and r.levelno >= logging.WARNING
            and "unknown pierce firewall ticket" not in r.getMessage()
        ]

    async def scenario() -> tuple[Path, Seen, list[str]]:
        async with logged_in(server, "alice", tmp_path) as (client, _):
            seen = Seen(client)
            await until(lambda: server.call(server.network.sessions)[0]["listen_port"] > 0, "SetListenPort")
            if not reachable:
                await client.network.disconnect_listening_ports()
            transfer = await client.transfers.download(username, file.filename)
            await finished(transfer)
            assert transfer.state.VALUE == TransferState.COMPLETE, transfer.fail_reason
            assert transfer.local_path is not None
            return Path(transfer.local_path), seen, complaints()

    path, seen, said = asyncio.run(scenario())
    written = path.read_bytes()
    # the peer opened the F connection: straight to aioslsk's port, or through the server's
    # ConnectToPeer F, aioslsk connecting out to the peer
    assert ((username, "F") in seen.relayed) is not reachable
    assert (username, "F", reachable) in seen.connections
    assert said == [], "aioslsk read every frame of the download"
    assert len(written) == file.size
    assert hashlib.sha256(written).hexdigest() == uploads.sha256(0, username, file)
    (entry,) = [e for e in transfers(url) if e["peer"] == username]
    assert (entry["downloader"], entry["filename"], entry["token"], entry["answer"]) == (
        "alice",
        file.filename,
        None,
        "queued",
    )
    assert (entry["offset"], entry["bytes_sent"], entry["complete"]) == (0, file.size, True)
    assert entry["sha256"] == uploads.sha256(0, username, file)
    assert entry["upload_token"] is not None and entry["announced_size"] == file.size


def test_aioslsk_resumes_a_dropped_download_from_the_bytes_it_has(
    network: tuple[NetworkServer, str], tmp_path: Path
) -> None:
    """dropping-peer resets the first transfer after half the file: aioslsk takes it for a read
    error, asks again and resumes, and the peer sends the rest from the offset it asks for."""
    server, url = network
    peer = next(p for p in library.load() if p.username == "dropping-peer")
    file = peer.files[0]

    async def scenario() -> Path:
        async with logged_in(server, "alice", tmp_path) as (client, _):
            await until(lambda: server.call(server.network.sessions)[0]["listen_port"] > 0, "SetListenPort")
            transfer = await client.transfers.download("dropping-peer", file.filename)
            for _ in range(int(DONE_S / 0.05)):
                if transfer.state.VALUE == TransferState.COMPLETE:
                    break
                await asyncio.sleep(0.05)
            assert transfer.state.VALUE == TransferState.COMPLETE, (
                transfer.fail_reason,
                ControlClient(url).transfers(),
            )
            assert transfer.local_path is not None
            return Path(transfer.local_path)

    written = asyncio.run(scenario()).read_bytes()
    assert hashlib.sha256(written).hexdigest() == uploads.sha256(0, "dropping-peer", file)
    log = ControlClient(url).transfers("dropping-peer")
    first, second = [(e["offset"], e["bytes_sent"], e["complete"]) for e in log]
    assert first == (0, file.size // 2, False)
    # aioslsk resumes from the bytes it has on disk: all of them, or none when it had not yet
    # written them; either way the peer sends the rest from the offset asked for
    assert second in ((file.size // 2, file.size - file.size // 2, True), (0, file.size, True))

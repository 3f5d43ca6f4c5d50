"""Downloads through the network: the reference slskd logged in to `conformance network`
(`serve --soulseek`) downloads over the Soulseek protocol (GetPeerAddress, a message connection,
TransferRequest/TransferResponse, the F connection, the offset, the bytes) from each kind of
sharing peer, and what the REST API reports is compared with what the network's control API
(`GET /transfers`) says each peer received and sent, and with the bytes the peers' seed decides
(`conformance.peers.uploads`). Nothing is simulated in-process: the reference's
`transfer_log()` is None, the network's record is the oracle."""

from __future__ import annotations

import contextlib
import hashlib
import queue
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import pytest
import requests

from conformance.network import messages
from conformance.network import peer_messages as pm
from conformance.network.codec import UINT32, UINT64, Code, read_exactly, read_frame
from conformance.network.command import DEFAULT_PEERS
from conformance.network.control import ControlServer
from conformance.network.messages import PeerAddress
from conformance.network.server import NetworkServer
from conformance.peers import library, uploads
from conformance.peers.library import SharedFile
from conformance.reference import ReferenceOptions, ReferenceServer, soulseek_downloads
from conformance.reference.download_steps import Step
from conformance.reference.soulseek import SoulseekConnection

USERNAME = "slskd-under-test"
PEERS = {peer.username: peer for peer in library.load()}  # the network's default library, seed 0


class Chain(NamedTuple):
    network: NetworkServer
    control: ControlServer
    slskd: ReferenceServer

    @property
    def connection(self) -> SoulseekConnection:
        assert self.slskd.app is not None
        network = self.slskd.app.network
        assert isinstance(network, SoulseekConnection)
        return network


@pytest.fixture(scope="module")
def chain() -> Iterator[Chain]:
    """One network and one reference logged in to it for the module (each test uses its own peer
    or its own file, and reads only the network's records of its own)."""
    with NetworkServer(DEFAULT_PEERS) as network, ControlServer(network) as control:
        options = ReferenceOptions(
            behaviour="slskd", soulseek=("127.0.0.1", network.port), soulseek_username=USERNAME
        )
        with ReferenceServer(options) as slskd:
            chain = Chain(network, control, slskd)
            chain.connection.response_timeout_s = 1.0  # a silent peer: not slskd's 15 s per attempt
            yield chain


def small(username: str, index: int = 0) -> SharedFile:
    return [f for f in PEERS[username].files if "Transfers" in f.filename or "Uploads" in f.filename][index]


def enqueue(chain: Chain, username: str, file: SharedFile, *, size: int | None = None) -> requests.Response:
    body = [{"filename": file.filename, "size": file.size if size is None else size}]
    return requests.post(f"{chain.slskd.base_url}/transfers/downloads/{username}", json=body, timeout=30)


def get(chain: Chain, username: str, transfer_id: str) -> dict[str, Any]:
    response = requests.get(
        f"{chain.slskd.base_url}/transfers/downloads/{username}/{transfer_id}", timeout=10
    )
    assert response.status_code == 200, response.text
    return response.json()


def sent(chain: Chain, peer: str, file: SharedFile) -> list[dict[str, Any]]:
    answer = requests.get(f"{chain.control.url}/transfers", params={"peer": peer}, timeout=10)
    assert answer.status_code == 200
    return [e for e in answer.json() if e["downloader"] == USERNAME and e["filename"] == file.filename]


def follow(
    chain: Chain, username: str, transfer_id: str, done: Callable[[dict[str, Any]], bool]
) -> tuple[dict[str, Any], list[str]]:
    seen: list[str] = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        body = get(chain, username, transfer_id)
        if not seen or seen[-1] != body["state"]:
            seen.append(body["state"])
        if done(body):
            return body, seen
        time.sleep(0.005)
    raise AssertionError(f"{username}'s {transfer_id} never got there: {seen}")


def finished(body: dict[str, Any]) -> bool:
    """Completed and not about to be retried."""
    return body["state"].startswith("Completed") and "nextAttemptAt" not in body and body["attempts"] >= 0


def download(chain: Chain, username: str, file: SharedFile, **kw: Any) -> tuple[dict[str, Any], list[str]]:
    response = enqueue(chain, username, file, **kw)
    assert response.status_code == 201, response.text
    transfer_id = response.json()["enqueued"][0]["id"]
    body, seen = follow(chain, username, transfer_id, finished)
    while body["attempts"] < 3 and body["state"] in ("Completed, Errored", "Completed, TimedOut"):
        tried = body["attempts"]
        more, later = follow(chain, username, transfer_id, lambda b, tried=tried: b["attempts"] > tried)
        more, later2 = follow(chain, username, transfer_id, finished)
        body, seen = more, seen + [s for s in later + later2 if s != seen[-1]]
    return body, seen


def settled(chain: Chain, peer: str, file: SharedFile, count: int = 1) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        log = sent(chain, peer, file)
        if len(log) >= count and all(e["ended_at"] for e in log):
            return log
        time.sleep(0.02)
    raise AssertionError(
        f"the network never ended {peer}'s uploads of {file.filename}: {sent(chain, peer, file)}"
    )


def digest(peer: str, file: SharedFile, start: int = 0, end: int | None = None) -> str:
    return hashlib.sha256(uploads.content(0, peer, file)[start:end]).hexdigest()


def test_no_transfer_log_in_process_the_network_is_the_oracle(chain: Chain) -> None:
    assert chain.connection.transfer_log() is None
    assert chain.connection.peers_view() == []


@pytest.mark.parametrize("peer", ["sharing-peer", "instant-peer"])
def test_a_queued_or_at_once_download_arrives_whole_as_the_network_sent_it(chain: Chain, peer: str) -> None:
    file = (
        next(f for f in PEERS[peer].files if f.size <= 65536 and not f.filename.isascii())
        if peer == ("sharing-peer")
        else small(peer)
    )
    body, seen = download(chain, peer, file)
    assert body["state"] == "Completed, Succeeded", body
    assert (body["bytesTransferred"], body["size"], body["attempts"]) == (file.size, file.size, 1)
    queued = ["Queued, Remotely"]
    expected = ["Requested", *queued, "Initializing", "InProgress", "Completed, Succeeded"]
    assert [s for s in seen if s in expected] == [s for s in expected if s in seen]
    assert "Completed, Succeeded" in seen
    (entry,) = settled(chain, peer, file)
    assert (entry["answer"], entry["offset"], entry["bytes_sent"], entry["complete"]) == (
        "queued" if peer == "sharing-peer" else "allowed",
        0,
        file.size,
        True,
    )
    assert entry["sha256"] == uploads.sha256(0, peer, file) == digest(peer, file)
    assert entry["token"] is not None
    if peer == "sharing-peer":
        assert (entry["place"], entry["upload_token"], entry["announced_size"]) == (
            1,
            entry["upload_token"],
            file.size,
        )
        assert "enqueuedAt" in body and body["placeInQueue"] == 1


def test_the_bytes_that_arrived_are_the_peers_content(chain: Chain, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the client read off the F connection, byte for byte (the emulation keeps it)."""
    file = small("sharing-peer", 1)
    response = enqueue(chain, "sharing-peer", file)
    transfer_id = response.json()["enqueued"][0]["id"]
    follow(chain, "sharing-peer", transfer_id, finished)
    api = chain.slskd.app.operations["get_download"].handler.__self__  # type: ignore[union-attr]
    assert bytes(api.downloads[transfer_id].data) == uploads.content(0, "sharing-peer", file)


@pytest.mark.parametrize(
    ("peer", "state", "exception"),
    [
        ("refusing-peer", "Completed, Rejected", "File not shared."),
        ("denying-peer", "Completed, Rejected", "Banned"),
    ],
)
def test_a_refused_or_denied_download_is_rejected_once(
    chain: Chain, peer: str, state: str, exception: str
) -> None:
    file = small(peer)
    body, seen = download(chain, peer, file)
    assert (body["state"], body["exception"], body["attempts"]) == (state, exception, 1)
    (entry,) = settled(chain, peer, file)
    assert entry["bytes_sent"] == 0
    assert entry["answer"] == ("refused" if peer == "refusing-peer" else "queued")
    if peer == "denying-peer":
        assert entry["denied"] == "Banned" and "Queued, Remotely" in seen


def test_a_failing_peer_is_retried_three_times(chain: Chain) -> None:
    file = small("failing-peer")
    body, _ = download(chain, "failing-peer", file)
    assert (body["state"], body["attempts"]) == ("Completed, Errored", 3)
    assert body["exception"] == "The remote user reported the upload failed"
    log = settled(chain, "failing-peer", file, 3)
    assert len(log) == 3 and all(e["failed"] for e in log)


def test_a_dropped_download_resumes_from_the_bytes_that_arrived(chain: Chain) -> None:
    file = small("dropping-peer")
    body, seen = download(chain, "dropping-peer", file)
    assert body["state"] == "Completed, Succeeded", (body, seen)
    assert (body["bytesTransferred"], body["attempts"]) == (file.size, 2)
    half = file.size // 2
    assert body["startOffset"] == half
    first, second = settled(chain, "dropping-peer", file, 2)
    assert (first["offset"], first["bytes_sent"], first["complete"]) == (0, half, False)
    assert first["sha256"] == digest("dropping-peer", file, 0, half)
    assert (second["offset"], second["bytes_sent"], second["complete"]) == (half, file.size - half, True)
    assert second["sha256"] == digest("dropping-peer", file, half)
    assert first["token"] == second["token"] and first["upload_token"] != second["upload_token"]


def test_a_resizing_peer_aborts_a_download_of_known_size_and_completes_one_of_unknown_size(
    chain: Chain,
) -> None:
    file = small("resizing-peer")
    body, _ = download(chain, "resizing-peer", file)
    assert body["state"] == "Completed, Aborted"
    assert (
        body["exception"] == f"Expected a size of {file.size} bytes, but the peer announced {file.size + 1}"
    )
    (entry,) = settled(chain, "resizing-peer", file)
    assert (entry["announced_size"], entry["bytes_sent"], entry["offset"]) == (file.size + 1, 0, None)


def test_a_silent_peer_times_out_and_a_cancel_ends_it(chain: Chain) -> None:
    file = small("silent-peer")
    body, seen = download(chain, "silent-peer", file)
    assert (body["state"], body["attempts"]) == ("Completed, TimedOut", 3), seen
    assert body["exception"] == "The transfer request timed out"
    log = sent(chain, "silent-peer", file)
    assert len(log) == 3 and all(e["answer"] == "none" for e in log)


def test_position_asks_the_peer_over_the_protocol(chain: Chain) -> None:
    assert chain.connection.place_in_queue("silent-peer", small("silent-peer").filename) == 1
    assert chain.connection.place_in_queue("sharing-peer", small("sharing-peer").filename) == 1


def test_an_offline_user_is_500_and_nothing_is_stored_or_asked(chain: Chain) -> None:
    file = small("offline-peer")
    response = enqueue(chain, "offline-peer", file)
    assert response.status_code == 500
    assert response.json() == "User offline-peer appears to be offline"
    assert sent(chain, "offline-peer", file) == []
    listed = requests.get(f"{chain.slskd.base_url}/transfers/downloads/offline-peer", timeout=10)
    assert listed.status_code == 404


def closed_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        return int(sock.getsockname()[1])


@pytest.fixture(params=["the-client-unreachable", "the-peers-unreachable"])
def firewalled(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Chain, list]]:
    """A chain where one side cannot be reached directly: the client announces a port nobody
    listens on (the peers' F connections come as ConnectToPeer F, answered PierceFirewall), or
    the peers' addresses lead nowhere (the client's message and F connections go by ConnectToPeer
    and the peers' PierceFirewall). Every indirect connection made is recorded."""
    indirect: list[tuple[str, str]] = []
    solicit, connect_out = SoulseekConnection._solicit, SoulseekConnection._connect_out

    def soliciting(self: SoulseekConnection, username: str, kind: str) -> Any:
        indirect.append(("ConnectToPeer", kind))
        return solicit(self, username, kind)

    def pierced(self: SoulseekConnection, username: str, kind: str, *args: Any) -> None:
        indirect.append(("PierceFirewall", kind))
        connect_out(self, username, kind, *args)

    monkeypatch.setattr(SoulseekConnection, "_solicit", soliciting)
    monkeypatch.setattr(SoulseekConnection, "_connect_out", pierced)
    if request.param == "the-client-unreachable":
        dead = closed_port()
        monkeypatch.setattr(SoulseekConnection, "listen_port", property(lambda self: dead))
    else:
        address = SoulseekConnection._address

        def nowhere(self: SoulseekConnection, username: str) -> tuple[str, int]:
            return address(self, username)[0], closed_port()

        monkeypatch.setattr(SoulseekConnection, "_address", nowhere)
    with NetworkServer(DEFAULT_PEERS) as network, ControlServer(network) as control:
        options = ReferenceOptions(soulseek=("127.0.0.1", network.port), soulseek_username=USERNAME)
        with ReferenceServer(options) as slskd:
            yield Chain(network, control, slskd), indirect


@pytest.mark.parametrize("peer", ["sharing-peer", "instant-peer"])
def test_a_download_goes_indirectly_where_direct_fails(firewalled: tuple[Chain, list], peer: str) -> None:
    chain, indirect = firewalled
    file = small(peer)
    body, _ = download(chain, peer, file)
    assert (body["state"], body["bytesTransferred"]) == ("Completed, Succeeded", file.size)
    (entry,) = settled(chain, peer, file)
    assert (entry["bytes_sent"], entry["sha256"]) == (file.size, uploads.sha256(0, peer, file))
    client_unreachable = ("ConnectToPeer", "P") not in indirect
    if client_unreachable:  # the peer's F connection for a queued download came relayed
        assert indirect == ([("PierceFirewall", "F")] if peer == "sharing-peer" else [])
    else:  # the client's message connection, and its own F connection for the at-once path
        assert indirect == [("ConnectToPeer", "P")] + (
            [("ConnectToPeer", "F")] if peer == "instant-peer" else []
        )


class LazyUploader:
    """A stand-in server (Login, GetPeerAddress) and one peer, `lazy`, that queues a download,
    asks TransferRequest(1, U) and then never opens its F connection: after its wait the client
    opens one itself (PeerInit F + U), and the peer sends the file's bytes from the offset."""

    U = 4242

    def __init__(self, file: SharedFile, data: bytes) -> None:
        self.file, self.data = file, data
        self.server = socket.create_server(("127.0.0.1", 0))
        self.peer = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.server.getsockname()[1])
        self.seen: list[Any] = []
        threading.Thread(target=self._serve, daemon=True).start()
        threading.Thread(target=self._upload, daemon=True).start()

    def _serve(self) -> None:
        sock, _ = self.server.accept()
        with contextlib.suppress(OSError):
            while True:
                frame = read_frame(sock)
                if frame.code == Code.LOGIN:
                    password = messages.read_login_request(frame.reader()).password
                    sock.sendall(messages.login_accepted("hi", "127.0.0.1", password))
                elif frame.code == Code.GET_PEER_ADDRESS:
                    where = PeerAddress("127.0.0.1", int(self.peer.getsockname()[1]))
                    sock.sendall(messages.peer_address(frame.reader().string(), where))

    def _upload(self) -> None:
        messages_sock, _ = self.peer.accept()
        self.seen.append(pm.read_init(messages_sock))
        request = pm.parse_transfer_request(pm.read_message(messages_sock).payload)
        messages_sock.sendall(pm.build_transfer_response(request.token, False, reason="Queued"))
        messages_sock.sendall(
            pm.build_transfer_request(pm.Direction.UPLOAD, self.U, self.file.filename, self.file.size)
        )
        self.seen.append(pm.parse_transfer_response(pm.read_message(messages_sock).payload))
        transfer, _ = self.peer.accept()  # the client's own F connection
        self.seen.append(pm.read_init(transfer))
        self.seen.append(UINT32.unpack(read_exactly(transfer, 4))[0])
        (offset,) = UINT64.unpack(read_exactly(transfer, 8))
        transfer.sendall(self.data[offset:])
        transfer.recv(1)  # until the client closes it


def test_the_client_opens_the_f_connection_itself_when_the_peers_never_comes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(soulseek_downloads, "INDIRECT_S", 0.3)  # slskd waits 10 s
    file = SharedFile("Music\\Lazy\\slow song.mp3", 1000)
    data = bytes(range(256)) * 4
    stand_in = LazyUploader(file, data[:1000])
    client = SoulseekConnection("127.0.0.1", stand_in.port, "me", "pw")
    client.start(lambda incoming: None)
    steps: queue.Queue[Step] = queue.Queue()
    try:
        client.download("lazy", file.filename, file.size, steps.put, token=9)
        seen: list[Step] = []
        while not seen or seen[-1].kind != "ended":
            seen.append(steps.get(timeout=5))
    finally:
        client.close()
    assert [s.kind for s in seen if s.kind != "data"] == [
        "requested", "queued", "initializing", "started", "ended"
    ]  # fmt: skip
    assert (seen[-1].outcome, b"".join(s.data for s in seen)) == ("Succeeded", data[:1000])
    assert stand_in.seen == [
        pm.PeerInit("me", "P", stand_in.seen[0].token),
        pm.TransferResponse(LazyUploader.U, True, file.size, None),
        pm.PeerInit("me", "F", LazyUploader.U),
        LazyUploader.U,
    ]

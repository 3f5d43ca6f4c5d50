"""`conformance network`'s sharing peers upload: our codec plays the downloader (as slskd's
Soulseek.NET does it, peers-and-apis.md §1.4) against each `upload` behaviour of the default
library, and the control API's `GET /transfers` must record exactly what crossed the wire."""

from __future__ import annotations

import contextlib
import hashlib
import socket
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from conformance.network import messages
from conformance.network import peer_messages as pm
from conformance.network.codec import UINT32, UINT64, Builder, Code, Frame, read_exactly
from conformance.network.control import ControlServer
from conformance.network.server import NetworkServer
from conformance.network.sharing import SharingPeers
from conformance.peers import library, uploads
from conformance.peers.library import SharedFile, SharingPeer
from tests.network_client import RawClient, eventually

SEED = 7  # not the default: the network's seed must decide the bytes
TIMEOUT_S = 5.0


@pytest.fixture(scope="module")
def peers() -> dict[str, SharingPeer]:
    return {peer.username: peer for peer in library.load(seed=SEED)}


@pytest.fixture
def network(peers: dict[str, SharingPeer]) -> Iterator[tuple[NetworkServer, str]]:
    sharing = SharingPeers(tuple(peers.values()), SEED)
    with NetworkServer({}, sharing=sharing) as server, ControlServer(server) as control:
        yield server, control.url


def transfers(url: str, peer: str | None = None) -> list[dict[str, Any]]:
    answer = requests.get(f"{url}/transfers", params={"peer": peer} if peer else None, timeout=TIMEOUT_S)
    assert answer.status_code == 200
    return answer.json()


class Downloader:
    """A logged-in client with a listener (or, `listening` False, a port nobody listens on)."""

    def __init__(self, server: NetworkServer, name: str = "dl", *, listening: bool = True) -> None:
        self.name = name
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(TIMEOUT_S)
        port = int(self.listener.getsockname()[1])
        if not listening:
            self.listener.close()  # the direct attempt meets a refused connection
        self.server = RawClient(server.port)
        self.server.send(messages.login_request(name, "pw"), messages.set_listen_port(port))
        assert messages.read_login_response(self.server.expect(Code.LOGIN)).succeeded
        self.sockets: list[socket.socket] = [self.listener, self.server.sock]

    def close(self) -> None:
        for sock in self.sockets:
            sock.close()

    def address(self, peer: str) -> tuple[str, int]:
        self.server.send(messages.username_request(Code.GET_PEER_ADDRESS, peer))
        payload = self.server.expect(Code.GET_PEER_ADDRESS)
        assert payload.string() == peer
        return payload.ipv4(), payload.uint32()

    def connect(self, peer: str, init: bytes) -> socket.socket:
        sock = socket.create_connection(self.address(peer), TIMEOUT_S)
        sock.settimeout(TIMEOUT_S)
        self.sockets.append(sock)
        sock.sendall(init)
        return sock

    def messages_with(self, peer: str) -> socket.socket:
        return self.connect(peer, pm.build_peer_init(self.name, "P", 1))

    def accept_transfer(self, peer: str) -> tuple[socket.socket, int]:
        """The peer's F connection on the listener: PeerInit(peer, F) then the 4-byte token."""
        sock, _ = self.listener.accept()
        sock.settimeout(TIMEOUT_S)
        self.sockets.append(sock)
        init = pm.read_init(sock)
        assert isinstance(init, pm.PeerInit) and (init.username, init.type) == (peer, "F")
        return sock, UINT32.unpack(read_exactly(sock, 4))[0]

    def pierce_transfer(self, peer: str) -> tuple[socket.socket, int]:
        """The server's ConnectToPeer F for the peer: connect, PierceFirewall, read the token."""
        payload = self.server.expect(Code.CONNECT_TO_PEER)
        requester, kind, host, port, token = (
            payload.string(),
            payload.string(),
            payload.ipv4(),
            payload.uint32(),
            payload.uint32(),
        )
        assert (requester, kind) == (peer, "F")
        sock = socket.create_connection((host, port), TIMEOUT_S)
        sock.settimeout(TIMEOUT_S)
        self.sockets.append(sock)
        sock.sendall(pm.build_pierce_firewall(token))
        return sock, UINT32.unpack(read_exactly(sock, 4))[0]


def receive(sock: socket.socket, offset: int, count: int | None = None) -> bytes:
    """Write the offset, read `count` bytes (as Soulseek.NET does, then close) or, None, until
    the peer closes."""
    sock.sendall(UINT64.pack(offset))
    data = bytearray()
    with contextlib.suppress(ConnectionResetError):  # a dropping peer resets the connection
        while (count is None or len(data) < count) and (chunk := sock.recv(65536)):
            data += chunk
    sock.close()
    return bytes(data)


def next_message(sock: socket.socket) -> Frame:
    return pm.read_message(sock)


def expect_queued(sock: socket.socket, token: int, file: SharedFile, place: int = 1) -> None:
    response = next_message(sock)
    assert response.code == pm.PeerCode.TRANSFER_RESPONSE
    assert pm.parse_transfer_response(response.payload) == pm.TransferResponse(token, False, None, "Queued")
    placed = next_message(sock)
    assert placed.code == pm.PeerCode.PLACE_IN_QUEUE_RESPONSE
    assert pm.parse_place_in_queue_response(placed.payload) == (file.filename, place)


def expect_upload_request(sock: socket.socket, file: SharedFile, size: int | None = None) -> int:
    frame = next_message(sock)
    assert frame.code == pm.PeerCode.TRANSFER_REQUEST
    request = pm.parse_transfer_request(frame.payload)
    assert (request.direction, request.filename, request.size) == (1, file.filename, size or file.size)
    return request.token


def request(sock: socket.socket, token: int, file: SharedFile | str) -> None:
    name = file if isinstance(file, str) else file.filename
    sock.sendall(pm.build_transfer_request(pm.Direction.DOWNLOAD, token, name))


def small(peer: SharingPeer) -> SharedFile:
    return next(f for f in peer.files if f.size <= 65536)


def settled(url: str, peer: str, count: int = 1) -> list[dict[str, Any]]:
    eventually(lambda: len(log := transfers(url, peer)) == count and log[-1]["ended_at"], f"{peer}'s end")
    return transfers(url, peer)


def entry(peer: str, file: SharedFile, token: int | None, **fields: Any) -> dict[str, Any]:
    return {
        "peer": peer,
        "downloader": "dl",
        "filename": file.filename,
        "token": token,
        "answer": "queued",
        "reason": "Queued",
        "place": 1,
        "denied": None,
        "failed": False,
        "upload_token": None,
        "announced_size": None,
        "size": file.size,
        "offset": None,
        "bytes_sent": 0,
        "complete": False,
        "sha256": None,
        **fields,
    }


def untimed(log: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for item in log:
        assert isinstance(item["received_at"], float)
        assert item["ended_at"] is None or item["ended_at"] >= item["received_at"]
    return [{k: v for k, v in item.items() if k not in ("received_at", "ended_at")} for item in log]


@pytest.mark.parametrize("listening", [True, False], ids=["direct-F", "indirect-F"])
def test_a_queued_download_arrives_whole_and_the_log_says_so_exactly(
    network: tuple[NetworkServer, str], peers: dict[str, SharingPeer], listening: bool
) -> None:
    server, url = network
    peer = peers["sharing-peer"]
    file = next(f for f in peer.files if not f.filename.isascii() and "Transfers" in f.filename)
    dl = Downloader(server, listening=listening)
    try:
        sock = dl.messages_with("sharing-peer")
        request(sock, 17, file)
        expect_queued(sock, 17, file)
        upload = expect_upload_request(sock, file)
        sock.sendall(pm.build_transfer_response(upload, True))
        fsock, token = dl.accept_transfer("sharing-peer") if listening else dl.pierce_transfer("sharing-peer")
        assert token == upload
        data = receive(fsock, 0, file.size)
    finally:
        dl.close()
    assert data == uploads.content(SEED, "sharing-peer", file)
    assert hashlib.sha256(data).hexdigest() == uploads.sha256(SEED, "sharing-peer", file)
    assert data != uploads.content(0, "sharing-peer", file)
    digest = uploads.sha256(SEED, "sharing-peer", file)
    assert untimed(settled(url, "sharing-peer")) == [
        entry(
            "sharing-peer",
            file,
            17,
            upload_token=upload,
            announced_size=file.size,
            offset=0,
            bytes_sent=file.size,
            complete=True,
            sha256=digest,
        )
    ]


@pytest.mark.parametrize("direct", [True, False], ids=["direct-F", "indirect-F"])
def test_an_at_once_peer_allows_and_the_downloader_opens_the_transfer(
    network: tuple[NetworkServer, str], peers: dict[str, SharingPeer], direct: bool
) -> None:
    server, url = network
    file = peers["instant-peer"].files[0]
    dl = Downloader(server)
    try:
        sock = dl.messages_with("instant-peer")
        request(sock, 5, file)
        response = next_message(sock)
        assert pm.parse_transfer_response(response.payload) == pm.TransferResponse(5, True, file.size, None)
        if direct:
            fsock = dl.connect("instant-peer", pm.build_peer_init("dl", "F", 5) + UINT32.pack(5))
        else:
            dl.server.send(messages.connect_to_peer_request(99, "instant-peer", "F"))
            fsock, _ = dl.listener.accept()
            fsock.settimeout(TIMEOUT_S)
            dl.sockets.append(fsock)
            assert pm.read_init(fsock) == pm.PierceFirewall(99)
            fsock.sendall(UINT32.pack(5))
        data = receive(fsock, 100, file.size - 100)
    finally:
        dl.close()
    whole = uploads.content(SEED, "instant-peer", file)
    assert data == whole[100:]
    assert untimed(settled(url, "instant-peer")) == [
        entry(
            "instant-peer",
            file,
            5,
            answer="allowed",
            reason=None,
            place=None,
            announced_size=file.size,
            offset=100,
            bytes_sent=file.size - 100,
            complete=True,
            sha256=hashlib.sha256(whole[100:]).hexdigest(),
        )
    ]


def test_a_refused_or_unshared_file_is_not_shared(
    network: tuple[NetworkServer, str], peers: dict[str, SharingPeer]
) -> None:
    server, url = network
    file = peers["refusing-peer"].files[0]
    dl = Downloader(server)
    try:
        sock = dl.messages_with("refusing-peer")
        request(sock, 3, file)
        frame = next_message(sock)
        assert pm.parse_transfer_response(frame.payload) == pm.TransferResponse(
            3, False, None, "File not shared."
        )
        other = dl.messages_with("sharing-peer")
        request(other, 4, "Music\\nowhere.mp3")
        frame = next_message(other)
        assert pm.parse_transfer_response(frame.payload).reason == "File not shared."
    finally:
        dl.close()
    assert untimed(settled(url, "refusing-peer")) == [
        entry("refusing-peer", file, 3, answer="refused", reason="File not shared.", place=None)
    ]
    (unshared,) = untimed(settled(url, "sharing-peer"))
    assert (unshared["answer"], unshared["size"], unshared["token"]) == ("refused", None, 4)


@pytest.mark.parametrize("name", ["denying-peer", "failing-peer"])
def test_a_queued_download_is_denied_or_fails(
    network: tuple[NetworkServer, str], peers: dict[str, SharingPeer], name: str
) -> None:
    server, url = network
    file = peers[name].files[0]
    dl = Downloader(server)
    try:
        sock = dl.messages_with(name)
        request(sock, 8, file)
        expect_queued(sock, 8, file)
        frame = next_message(sock)
    finally:
        dl.close()
    if name == "denying-peer":
        assert frame.code == pm.PeerCode.UPLOAD_DENIED
        assert pm.parse_upload_denied(frame.payload) == (file.filename, "Banned")
        fields: dict[str, Any] = {"denied": "Banned"}
    else:
        assert frame.code == pm.PeerCode.UPLOAD_FAILED
        assert pm.parse_filename(frame.payload) == file.filename
        fields = {"failed": True}
    assert untimed(settled(url, name)) == [entry(name, file, 8, **fields)]


def test_a_dropped_transfer_resumes_from_the_offset_the_downloader_asks_for(
    network: tuple[NetworkServer, str], peers: dict[str, SharingPeer]
) -> None:
    server, url = network
    file = peers["dropping-peer"].files[0]
    whole = uploads.content(SEED, "dropping-peer", file)
    dl = Downloader(server)
    try:
        sock = dl.messages_with("dropping-peer")
        got = b""
        for token in (21, 22):
            request(sock, token, file)
            expect_queued(sock, token, file)
            upload = expect_upload_request(sock, file)
            sock.sendall(pm.build_transfer_response(upload, True))
            fsock, _ = dl.accept_transfer("dropping-peer")
            got += receive(fsock, len(got), None if token == 21 else file.size - len(got))
            if token == 21:
                assert len(got) == file.size // 2
    finally:
        dl.close()
    assert got == whole
    first, second = untimed(settled(url, "dropping-peer", 2))
    assert (first["offset"], first["bytes_sent"], first["complete"]) == (0, file.size // 2, False)
    assert first["sha256"] == hashlib.sha256(whole[: file.size // 2]).hexdigest()
    assert (second["offset"], second["bytes_sent"], second["complete"]) == (
        file.size // 2,
        file.size - file.size // 2,
        True,
    )
    assert second["upload_token"] != first["upload_token"]


def test_a_resizing_peer_announces_one_byte_more(
    network: tuple[NetworkServer, str], peers: dict[str, SharingPeer]
) -> None:
    server, url = network
    file = peers["resizing-peer"].files[0]
    dl = Downloader(server)
    try:
        sock = dl.messages_with("resizing-peer")
        request(sock, 9, file)
        expect_queued(sock, 9, file)
        upload = expect_upload_request(sock, file, file.size + 1)
        sock.sendall(pm.build_transfer_response(upload, False, reason="Cancelled"))
    finally:
        dl.close()
    assert untimed(settled(url, "resizing-peer")) == [
        entry("resizing-peer", file, 9, upload_token=upload, announced_size=file.size + 1)
    ]


def test_a_silent_peer_never_answers_and_place_in_queue_is_answered(
    network: tuple[NetworkServer, str], peers: dict[str, SharingPeer]
) -> None:
    server, url = network
    file = peers["silent-peer"].files[0]
    dl = Downloader(server)
    try:
        sock = dl.messages_with("silent-peer")
        request(sock, 11, file)
        sock.sendall(pm.build_place_in_queue_request(file.filename))
        frame = next_message(sock)  # the only answer: the place
        assert frame.code == pm.PeerCode.PLACE_IN_QUEUE_RESPONSE
        assert pm.parse_place_in_queue_response(frame.payload) == (file.filename, 1)
        sock.settimeout(0.5)
        with pytest.raises(TimeoutError):
            next_message(sock)
    finally:
        dl.close()
    (silent,) = untimed(transfers(url, "silent-peer"))
    assert silent == entry("silent-peer", file, 11, answer="none", reason=None, place=None)


def test_queue_download_is_served_like_a_queued_request(
    network: tuple[NetworkServer, str], peers: dict[str, SharingPeer]
) -> None:
    server, url = network
    file = small(peers["sharing-peer"])
    dl = Downloader(server)
    try:
        sock = dl.messages_with("sharing-peer")
        sock.sendall(pm.build_queue_download(file.filename))
        placed = next_message(sock)
        assert pm.parse_place_in_queue_response(placed.payload) == (file.filename, 1)
        upload = expect_upload_request(sock, file)
        sock.sendall(pm.build_transfer_response(upload, True))
        fsock, _ = dl.accept_transfer("sharing-peer")
        assert receive(fsock, 0, file.size) == uploads.content(SEED, "sharing-peer", file)
        sock.sendall(pm.build_queue_download("Music\\nowhere.mp3"))
        denied = next_message(sock)
        assert pm.parse_upload_denied(denied.payload) == ("Music\\nowhere.mp3", "File not shared.")
    finally:
        dl.close()
    first, unshared = untimed(settled(url, "sharing-peer", 2))
    assert (first["token"], first["reason"], first["complete"]) == (None, None, True)
    assert unshared["answer"] == "refused"


def test_an_offline_peer_has_no_address_and_the_control_api_shows_the_new_fields(
    network: tuple[NetworkServer, str],
) -> None:
    server, url = network
    dl = Downloader(server)
    try:
        assert dl.address("offline-peer") == ("0.0.0.0", 0)
        dl.server.send(messages.username_request(Code.GET_STATUS, "offline-peer"))
        payload = dl.server.expect(Code.GET_STATUS)
        assert (payload.string(), payload.uint32()) == ("offline-peer", messages.OFFLINE)
        assert dl.address("sharing-peer")[0] == "127.0.0.1"
    finally:
        dl.close()
    shown = {peer["username"]: peer for peer in requests.get(f"{url}/peers", timeout=TIMEOUT_S).json()}
    assert (shown["offline-peer"]["online"], shown["dropping-peer"]["upload"]) == (False, "drops")
    assert (shown["sharing-peer"]["queueS"], shown["sharing-peer"]["place"]) == (0.2, 1)
    assert transfers(url) == []


def test_a_download_asked_on_the_connection_the_peer_opened_to_answer_a_search_is_served(
    network: tuple[NetworkServer, str], peers: dict[str, SharingPeer]
) -> None:
    """slskd keeps using a message connection a peer opened (peers-and-apis.md §1.0): the
    request arrives on the socket that carried the search results."""
    server, url = network
    file = peers["resizing-peer"].files[0]
    dl = Downloader(server)
    try:
        dl.server.send(Builder(Code.FILE_SEARCH).uint32(77).string("conformance resizing").build())
        sock, _ = dl.listener.accept()
        sock.settimeout(TIMEOUT_S)
        dl.sockets.append(sock)
        assert pm.read_init(sock) == pm.PeerInit("resizing-peer", "P", 77)
        found = pm.read_search_response(next_message(sock))
        assert [f.filename for f in found.files] == [file.filename]
        request(sock, 78, file)
        expect_queued(sock, 78, file)
        assert expect_upload_request(sock, file, file.size + 1)
    finally:
        dl.close()
    (served,) = transfers(url, "resizing-peer")
    assert (served["token"], served["announced_size"]) == (78, file.size + 1)


def test_a_frame_that_lies_about_its_length_closes_that_connection_only(
    network: tuple[NetworkServer, str], peers: dict[str, SharingPeer]
) -> None:
    server, url = network
    file = peers["denying-peer"].files[0]
    dl = Downloader(server)
    try:
        liar = dl.messages_with("denying-peer")
        liar.sendall(b"\xff\xff\xff\xff")
        assert liar.recv(1) == b""
        sock = dl.messages_with("denying-peer")
        request(sock, 30, file)
        expect_queued(sock, 30, file)
    finally:
        dl.close()
    assert [e["token"] for e in transfers(url)] == [30]

"""`conformance network`'s sharing peers answer questions about themselves: our codec plays the
asking client (as Soulseek.NET asks, peers-and-apis.md §1.2, §1.3) on a message connection it
opens to each kind of peer of the default library, and every answer must be, field by field,
what `conformance.peers.browsing` (the checker's oracle) says that peer shows; the server's
GetStatus must give each user's presence."""

from __future__ import annotations

import socket
import time
import zlib
from collections.abc import Iterator

import pytest

from conformance.network import messages
from conformance.network import peer_messages as pm
from conformance.network import user_messages as um
from conformance.network.codec import HEADER, UINT32, Code, Payload, read_exactly
from conformance.network.server import NetworkServer
from conformance.network.sharing import SharingPeers
from conformance.peers import browsing, library
from conformance.peers.library import SharingPeer
from tests.test_network_transfers import Downloader

SEED = 7  # not the default: the network's seed must decide the pictures
SLOW_WAIT_S = 1.5  # longer than the reference's wait for a reply (RESPONSE_TIMEOUT_S)
PEERS = {peer.username: peer for peer in library.load(seed=SEED)}


@pytest.fixture(scope="module")
def server() -> Iterator[NetworkServer]:
    with NetworkServer({}, sharing=SharingPeers(tuple(PEERS.values()), SEED)) as network:
        yield network


@pytest.fixture
def client(server: NetworkServer) -> Iterator[Downloader]:
    asking = Downloader(server, "asker")
    yield asking
    asking.close()


def ask(client: Downloader, peer: str, request: bytes) -> pm.Frame:
    sock = client.messages_with(peer)
    sock.sendall(request)
    return pm.read_message(sock)


def test_a_browse_is_answered_with_every_open_and_locked_folder(client: Downloader) -> None:
    peer = PEERS["sharing-peer"]
    frame = ask(client, peer.username, um.build_browse_request())
    assert frame.code == pm.PeerCode.BROWSE_RESPONSE
    assert um.parse_browse_response(frame.payload) == browsing.shares(peer)
    shares = browsing.shares(peer)
    assert shares.locked_directories and any(
        "\\" in d.name and not d.name.isascii() for d in shares.directories
    )


def test_a_browse_response_is_laid_out_as_soulseek_net_reads_it(client: Downloader) -> None:
    """Read with the codec's primitives only: zlib after the code; the directory count, each
    record (full folder path, file count, files by bare name), the unknown 0, the locked ones."""
    peer = PEERS["sharing-peer"]
    shares = browsing.shares(peer)
    reader = Payload(zlib.decompress(ask(client, peer.username, um.build_browse_request()).payload))
    for expected in (shares.directories, 0, shares.locked_directories):
        if expected == 0:
            assert reader.uint32() == 0
            continue
        assert reader.uint32() == len(expected)
        for directory in expected:
            assert (reader.string(), reader.uint32()) == (directory.name, len(directory.files))
            for file in directory.files:
                record = pm.read_file_record(reader)
                assert (record.code, record.filename, record.size) == (1, file.filename, file.size)
                assert (record.extension, record.attributes) == (file.extension, file.attributes)
                assert "\\" not in record.filename
    assert reader.remaining == 0


def test_an_empty_share_is_browsed_as_no_folders_at_all(client: Downloader) -> None:
    frame = ask(client, "empty-peer", um.build_browse_request())
    assert um.parse_browse_response(frame.payload) == browsing.Shares((), ())
    assert zlib.decompress(frame.payload) == UINT32.pack(0) * 3


@pytest.mark.parametrize("peer", ["sharing-peer", "away-peer", "empty-peer"])
def test_a_user_info_is_the_peers_profile(client: Downloader, peer: str) -> None:
    frame = ask(client, peer, um.build_info_request())
    assert frame.code == pm.PeerCode.INFO_RESPONSE
    assert um.parse_info_response(frame.payload) == browsing.info(PEERS[peer])


def test_a_user_info_carries_the_picture_length_prefixed_and_uncompressed(client: Downloader) -> None:
    peer = PEERS["sharing-peer"]
    assert peer.picture is not None
    reader = Payload(ask(client, peer.username, um.build_info_request()).payload)
    assert (reader.string(), reader.byte(), reader.uint32()) == (peer.description, 1, len(peer.picture))
    assert read_picture(reader, len(peer.picture)) == peer.picture
    assert (reader.uint32(), reader.uint32(), reader.byte()) == (
        peer.upload_slots,
        peer.queue_length,
        int(peer.free_slot),
    )
    assert reader.remaining == 0


def read_picture(reader: Payload, size: int) -> bytes:
    return bytes(reader.byte() for _ in range(size))


def test_a_user_info_without_a_picture_says_so_in_one_byte(client: Downloader) -> None:
    peer = PEERS["away-peer"]
    assert peer.picture is None
    reader = Payload(ask(client, peer.username, um.build_info_request()).payload)
    assert (reader.string(), reader.byte(), reader.uint32()) == (peer.description, 0, peer.upload_slots)


def test_the_picture_is_the_networks_seeds(client: Downloader) -> None:
    info = um.parse_info_response(ask(client, "sharing-peer", um.build_info_request()).payload)
    assert info.picture == PEERS["sharing-peer"].picture != library.load()[0].picture


def folders(peer: SharingPeer) -> list[tuple[str, bool]]:
    shares = browsing.shares(peer)
    return [(d.name, False) for d in shares.directories] + [(d.name, True) for d in shares.locked_directories]


@pytest.mark.parametrize(("directory", "locked"), folders(PEERS["sharing-peer"]))
def test_a_folders_contents_are_that_open_folder_under_the_requests_token(
    client: Downloader, directory: str, locked: bool
) -> None:
    peer = PEERS["sharing-peer"]
    frame = ask(client, peer.username, um.build_folder_contents_request(4242, directory))
    assert frame.code == pm.PeerCode.FOLDER_CONTENTS_RESPONSE
    contents = um.parse_folder_contents_response(frame.payload)
    assert (contents.token, contents.directory) == (4242, directory)
    assert contents.directories == browsing.folder_contents(peer, directory)
    assert len(contents.directories) == (0 if locked else 1)


@pytest.mark.parametrize("directory", ["no such folder", "", "Music"])
def test_a_folder_the_peer_does_not_share_is_answered_with_no_directory(
    client: Downloader, directory: str
) -> None:
    frame = ask(client, "sharing-peer", um.build_folder_contents_request(7, directory))
    assert um.parse_folder_contents_response(frame.payload) == um.FolderContents(7, directory, ())


def test_two_requests_on_one_connection_are_answered_in_order(client: Downloader) -> None:
    sock = client.messages_with("sharing-peer")
    sock.sendall(um.build_info_request() + um.build_browse_request())
    assert [pm.read_message(sock).code for _ in range(2)] == [
        pm.PeerCode.INFO_RESPONSE,
        pm.PeerCode.BROWSE_RESPONSE,
    ]


REQUESTS = {
    "browse": um.build_browse_request(),
    "info": um.build_info_request(),
    "folder": um.build_folder_contents_request(1, "Music"),
}


@pytest.mark.parametrize("request_", REQUESTS.values(), ids=REQUESTS.keys())
def test_a_slow_peer_never_answers_and_keeps_the_connection(client: Downloader, request_: bytes) -> None:
    sock = client.messages_with("slow-answering-peer")
    sock.sendall(request_)
    sock.settimeout(SLOW_WAIT_S)
    with pytest.raises(TimeoutError):
        sock.recv(1)
    sock.settimeout(5.0)
    sock.sendall(pm.build_place_in_queue_request("anything"))  # still read: answered
    assert pm.read_message(sock).code == pm.PeerCode.PLACE_IN_QUEUE_RESPONSE


def test_a_dropping_peer_breaks_a_browse_off_halfway(client: Downloader) -> None:
    sock = client.messages_with("dropping-answering-peer")
    sock.sendall(um.build_browse_request())
    (length,) = HEADER.unpack(read_exactly(sock, HEADER.size))
    rest = received_until_closed(sock)
    whole = HEADER.size + length
    assert 0 < HEADER.size + len(rest) < whole
    assert HEADER.size + len(rest) == whole // 2


@pytest.mark.parametrize("request_", [REQUESTS["info"], REQUESTS["folder"]], ids=["info", "folder"])
def test_a_dropping_peer_closes_instead_of_answering(client: Downloader, request_: bytes) -> None:
    sock = client.messages_with("dropping-answering-peer")
    sock.sendall(request_)
    assert received_until_closed(sock) == b""


def received_until_closed(sock: socket.socket) -> bytes:
    data = bytearray()
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline and (chunk := sock.recv(65536)):
        data += chunk
    return bytes(data)


@pytest.mark.parametrize(
    ("username", "status"),
    [
        ("sharing-peer", messages.ONLINE),
        ("away-peer", messages.AWAY),
        ("offline-peer", messages.OFFLINE),
        ("nobody-by-that-name", messages.OFFLINE),
    ],
)
def test_get_status_gives_each_users_presence(client: Downloader, username: str, status: int) -> None:
    client.server.send(messages.username_request(Code.GET_STATUS, username))
    assert messages.read_user_status(client.server.expect(Code.GET_STATUS)) == (username, status, False)


def test_an_offline_peer_has_no_address_to_ask_at(client: Downloader) -> None:
    assert client.address("offline-peer") == ("0.0.0.0", 0)
    assert client.address("away-peer")[0] == "127.0.0.1"

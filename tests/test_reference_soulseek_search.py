"""The reference's Soulseek client searches as Soulseek.NET does: FileSearch to the server, the
answers peer-to-peer on its own listener (PeerInit or PierceFirewall first) or on a connection it
opens for a relayed ConnectToPeer, each handed to the search of the token it carries. A peer that
lies or closes early costs its connection and one log line; the listener goes on.

The server here is a stand-in that only logs the client in and keeps what it sends, so these
tests see exactly the client's frames; the whole chain through `conformance network` is
tests/test_network_search_gate.py."""

from __future__ import annotations

import contextlib
import logging
import queue
import socket
import threading
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from conformance.network import messages, peer_messages
from conformance.network.codec import HEADER, UINT32, Code, Frame, read_frame
from conformance.network.messages import PeerAddress
from conformance.peers.library import SharedFile
from conformance.peers.responses import PeerResponse
from conformance.reference import ReferenceOptions, ReferenceServer
from conformance.reference.network import SoulseekError
from conformance.reference.soulseek import FILE_SEARCH, SoulseekConnection
from tests.network_client import eventually

LOGGER = "conformance.reference.soulseek"
FILES = (
    SharedFile("Music\\Sol Invictus\\01 - Sol.flac", 31_337_000, ((1, 240), (4, 44_100), (5, 16))),
    SharedFile("Music\\Ünïcode folder\\weird name.mp3", 4_000_000, ((0, 320), (1, 100), (2, 0))),
)
LOCKED = (SharedFile("Music\\Private\\sol demo.ogg", 1_234, (), locked=True),)


def response(token: int, username: str = "alice") -> PeerResponse:
    return PeerResponse(
        username, token, FILES, LOCKED, free_slot=True, upload_speed=1_048_576, queue_length=3
    )


class StandInServer:
    """Accepts one client, logs it in, and keeps every frame it sends after the Login."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.frames: queue.Queue[Frame] = queue.Queue()
        self.client: socket.socket | None = None
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        try:
            sock, _ = self._listener.accept()  # closed first when no client came: nothing to serve
            self.client = sock
            while True:
                frame = read_frame(sock)
                if frame.code == Code.LOGIN:
                    request = messages.read_login_request(frame.reader())
                    sock.sendall(messages.login_accepted("hi", "127.0.0.1", request.password))
                else:
                    self.received(frame)
        except OSError:
            return

    def received(self, frame: Frame) -> None:
        """A frame the client sent after its Login: kept for `expect`."""
        self.frames.put(frame)

    def expect(self, code: int) -> Frame:
        while True:
            frame = self.frames.get(timeout=5)
            if frame.code == code:
                return frame

    def send(self, frame: bytes) -> None:
        assert self.client is not None
        self.client.sendall(frame)

    def close(self) -> None:
        self._listener.close()
        if self.client is not None:
            self.client.close()


@pytest.fixture
def server() -> Iterator[StandInServer]:
    stand_in = StandInServer()
    yield stand_in
    stand_in.close()


@pytest.fixture
def client(server: StandInServer) -> Iterator[SoulseekConnection]:
    connection = SoulseekConnection("127.0.0.1", server.port, "slskd-under-test", "pw")
    connection.start(lambda incoming: None)
    yield connection
    connection.close()


class Searches:
    """Where a test's searches deliver: token → the responses it got."""

    def __init__(self) -> None:
        self.got: dict[int, list[PeerResponse]] = {}

    def deliver(self, token: int) -> Callable[[PeerResponse], None]:
        self.got[token] = []
        return self.got[token].append


def closed(sock: socket.socket) -> bool:
    """Whether the other end closed (a reset counts: it closed with bytes left unread)."""
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def peer_connects(client: SoulseekConnection, init: bytes) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", client.listen_port), 5)
    sock.sendall(init)
    return sock


def test_the_login_announces_a_port_that_takes_peer_connections(
    server: StandInServer, client: SoulseekConnection
) -> None:
    (port, _) = messages.read_set_listen_port(server.expect(Code.SET_LISTEN_PORT).reader())
    assert port == client.listen_port != 0
    socket.create_connection(("127.0.0.1", port), 5).close()


def test_a_search_is_one_file_search_with_its_token_and_query(
    server: StandInServer, client: SoulseekConnection
) -> None:
    client.search(4242, "sol invictus -live", lambda r: None)
    payload = server.expect(FILE_SEARCH).reader()
    assert (payload.uint32(), payload.string(), payload.remaining) == (4242, "sol invictus -live", 0)


def test_a_search_when_not_logged_in_is_refused_before_anything_is_sent(server: StandInServer) -> None:
    connection = SoulseekConnection("127.0.0.1", server.port, "slskd-under-test", "pw")
    with pytest.raises(SoulseekError, match="logged in to search"):
        connection.search(1, "sol", lambda r: None)
    assert server.frames.empty()


@pytest.mark.parametrize(
    "init",
    [peer_messages.build_peer_init("alice", "P", 7), peer_messages.build_pierce_firewall(99)],
    ids=["PeerInit", "PierceFirewall"],
)
def test_an_answer_on_a_peer_connection_reaches_its_search_whole(
    client: SoulseekConnection, init: bytes
) -> None:
    searches = Searches()
    client.search(11, "sol", searches.deliver(11))
    with peer_connects(client, init + peer_messages.build_search_response(response(11))):
        eventually(lambda: searches.got[11], "the response")
    assert searches.got == {11: [response(11)]}


def test_answers_go_to_the_search_of_their_token_not_of_their_sender_nor_their_connection(
    client: SoulseekConnection,
) -> None:
    searches = Searches()
    client.search(1, "sol", searches.deliver(1))
    client.search(2, "sol", searches.deliver(2))
    answers = [response(2, "alice"), response(1, "alice"), response(2, "bob")]
    frames = b"".join(peer_messages.build_search_response(answer) for answer in answers)
    with peer_connects(client, peer_messages.build_peer_init("alice", "P", 0) + frames):
        eventually(lambda: len(searches.got[1]) + len(searches.got[2]) == 3, "three responses")
    assert searches.got == {1: [response(1, "alice")], 2: [response(2, "alice"), response(2, "bob")]}


def test_an_answer_under_no_searchs_token_is_dropped_and_the_connection_goes_on(
    client: SoulseekConnection, caplog: pytest.LogCaptureFixture
) -> None:
    searches = Searches()
    client.search(5, "sol", searches.deliver(5))
    unknown, known = response(5 ^ 0x5A5A5A5A), response(5)
    frames = peer_messages.build_search_response(unknown) + peer_messages.build_search_response(known)
    with (
        caplog.at_level(logging.INFO, LOGGER),
        peer_connects(client, peer_messages.build_peer_init("x", "P", 0) + frames),
    ):
        eventually(lambda: searches.got[5], "the response")
    assert searches.got == {5: [known]}
    assert [r.levelno for r in caplog.records if "no search's" in r.getMessage()] == [logging.INFO]


def test_other_peer_messages_on_the_connection_are_skipped(client: SoulseekConnection) -> None:
    searches = Searches()
    client.search(8, "sol", searches.deliver(8))
    browse_request = HEADER.pack(4) + UINT32.pack(4)  # BrowseRequest: no payload
    frames = browse_request + peer_messages.build_search_response(response(8))
    with peer_connects(client, peer_messages.build_peer_init("x", "P", 0) + frames):
        eventually(lambda: searches.got[8], "the response")


def test_a_relayed_connect_to_peer_is_answered_with_pierce_firewall_and_read_for_answers(
    server: StandInServer, client: SoulseekConnection
) -> None:
    """A peer that cannot reach the listener: the server relays its ConnectToPeer (type P); the
    client connects out, writes PierceFirewall(token), and reads the answer on that socket."""
    searches = Searches()
    client.search(31, "sol", searches.deliver(31))
    firewalled = socket.create_server(("127.0.0.1", 0))
    port = firewalled.getsockname()[1]
    server.send(messages.connect_to_peer("carol", "P", PeerAddress("127.0.0.1", port), 777))
    firewalled.settimeout(5)
    sock, _ = firewalled.accept()
    with sock, firewalled:
        sock.settimeout(5)
        assert peer_messages.read_init(sock) == peer_messages.PierceFirewall(777)
        sock.sendall(peer_messages.build_search_response(response(31, "carol")))
        eventually(lambda: searches.got[31], "the response")
    assert searches.got == {31: [response(31, "carol")]}


def test_a_connect_to_peer_of_another_type_opens_nothing(
    server: StandInServer, client: SoulseekConnection, caplog: pytest.LogCaptureFixture
) -> None:
    firewalled = socket.create_server(("127.0.0.1", 0))
    firewalled.settimeout(0.3)
    with caplog.at_level(logging.INFO, LOGGER), firewalled:
        server.send(
            messages.connect_to_peer("carol", "F", PeerAddress("127.0.0.1", firewalled.getsockname()[1]), 1)
        )
        with pytest.raises(TimeoutError):
            firewalled.accept()
    assert any("type 'F'" in r.getMessage() for r in caplog.records)


def _bad_search_response() -> bytes:
    body = UINT32.pack(9) + b"this is not zlib"
    return HEADER.pack(len(body)) + body


def _truncated_search_response() -> bytes:
    whole = peer_messages.search_response_payload(response(3))
    body = UINT32.pack(9) + zlib.compress(whole[: len(whole) // 2])
    return HEADER.pack(len(body)) + body


GARBAGE = {
    "closes before its init frame": b"",
    "closes inside its init frame": peer_messages.build_peer_init("alice", "P", 1)[:7],
    "an unknown init code": HEADER.pack(5) + bytes((7,)) + UINT32.pack(1),
    "an init frame length of 4 GB": b"\xff\xff\xff\xff\x01",
    "a PeerInit for a file transfer": peer_messages.build_peer_init("alice", "F", 1) + UINT32.pack(1),
    "closes inside a message": peer_messages.build_peer_init("alice", "P", 1)
    + HEADER.pack(500)
    + b"\x09\0\0\0abc",
    "a response that is not zlib": peer_messages.build_peer_init("alice", "P", 1) + _bad_search_response(),
    "a response cut short": peer_messages.build_peer_init("alice", "P", 1) + _truncated_search_response(),
    "a message length of 4 GB": peer_messages.build_peer_init("alice", "P", 1) + b"\xff\xff\xff\xff",
}


@pytest.mark.parametrize("sent", GARBAGE.values(), ids=GARBAGE.keys())
def test_a_peer_that_lies_or_closes_early_costs_one_log_line_and_the_listener_goes_on(
    client: SoulseekConnection, caplog: pytest.LogCaptureFixture, sent: bytes
) -> None:
    searches = Searches()
    client.search(3, "sol", searches.deliver(3))
    with caplog.at_level(logging.DEBUG, LOGGER):
        bad = peer_connects(client, sent)
        with contextlib.suppress(OSError):  # the client may have reset it already
            bad.shutdown(socket.SHUT_WR)  # the peer has said all it will say
        eventually(lambda: closed(bad), "the client to close the bad connection")
        bad.close()
        eventually(lambda: [r for r in caplog.records if r.levelno >= logging.WARNING], "the log line")
    (line,) = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert "dropped" in line.getMessage() and line.exc_info is None
    assert searches.got == {3: []}
    good = peer_messages.build_peer_init("bob", "P", 2) + peer_messages.build_search_response(
        response(3, "bob")
    )
    with peer_connects(client, good):
        eventually(lambda: searches.got[3], "the good peer's response")


def test_a_peer_that_closes_cleanly_between_messages_is_no_warning(
    client: SoulseekConnection, caplog: pytest.LogCaptureFixture
) -> None:
    searches = Searches()
    client.search(4, "sol", searches.deliver(4))
    with caplog.at_level(logging.DEBUG, LOGGER):
        sock = peer_connects(
            client,
            peer_messages.build_peer_init("a", "P", 0) + peer_messages.build_search_response(response(4)),
        )
        sock.close()
        eventually(lambda: any("closed" in r.getMessage() for r in caplog.records), "the close")
    assert searches.got == {4: [response(4)]}
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_search_that_fails_to_take_an_answer_does_not_stop_the_others(
    client: SoulseekConnection, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(_: PeerResponse) -> None:
        raise RuntimeError("the emulation's bug")

    searches = Searches()
    client.search(6, "sol", broken)
    client.search(7, "sol", searches.deliver(7))
    frames = peer_messages.build_search_response(response(6)) + peer_messages.build_search_response(
        response(7)
    )
    with (
        caplog.at_level(logging.ERROR, LOGGER),
        peer_connects(client, peer_messages.build_peer_init("a", "P", 0) + frames),
    ):
        eventually(lambda: searches.got[7], "the second search's response")
    assert len([r for r in caplog.records if r.levelno >= logging.ERROR]) == 1


def test_close_ends_the_listener_and_open_peer_connections(
    server: StandInServer, client: SoulseekConnection
) -> None:
    port = client.listen_port
    with peer_connects(client, peer_messages.build_peer_init("a", "P", 0)) as idle:
        idle.settimeout(5)
        client.close()
        assert closed(idle)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), 1).close()


class AnsweringServer(StandInServer):
    """A stand-in whose peers answer every FileSearch at once, each on its own connection to the
    port the client announced (the direct path of §1.1 step 3)."""

    def __init__(self, peers: tuple[str, ...]) -> None:
        self.peers = peers
        self.listen_port = 0
        super().__init__()

    def received(self, frame: Frame) -> None:
        """SetListenPort is remembered; each FileSearch kept and answered by every peer."""
        if frame.code == Code.SET_LISTEN_PORT:
            self.listen_port = messages.read_set_listen_port(frame.reader())[0]
        elif frame.code == FILE_SEARCH:
            self.frames.put(frame)
            token = frame.reader().uint32()
            for peer in self.peers:
                with socket.create_connection(("127.0.0.1", self.listen_port), 5) as answer:
                    init = peer_messages.build_peer_init(peer, "P", 0)
                    answer.sendall(init + peer_messages.build_search_response(response(token, peer)))


def test_a_rest_search_on_a_reference_logged_in_over_the_protocol_shows_its_peers_answers() -> None:
    """POST /searches on `serve --soulseek`: the emulation's search goes out as FileSearch and
    completes with exactly the answers the listener took, counted (slskd's behaviour, ms timeout)."""
    server = AnsweringServer(("alice", "bob", "carol"))
    options = ReferenceOptions(
        behaviour="slskd", soulseek=("127.0.0.1", server.port), soulseek_username="slskd-under-test"
    )
    try:
        with ReferenceServer(options) as slskd:
            body = {"searchText": "sol  x invictus", "searchTimeout": 300}
            search = requests.post(f"{slskd.base_url}/searches", json=body, timeout=5).json()
            payload = server.expect(FILE_SEARCH).reader()
            assert (payload.uint32(), payload.string()) == (search["token"], "sol invictus")

            def complete() -> dict[str, Any] | None:
                found = requests.get(f"{slskd.base_url}/searches/{search['id']}", timeout=5).json()
                return found if found["isComplete"] else None

            eventually(complete, "the search to complete")
            final = complete()
            shown = requests.get(f"{slskd.base_url}/searches/{search['id']}/responses", timeout=5).json()
    finally:
        server.close()
    assert final is not None and final["state"] == "Completed, TimedOut"
    expected = [response(search["token"], peer).as_json() for peer in ("alice", "bob", "carol")]
    assert sorted(shown, key=lambda r: r["username"]) == expected
    assert (final["responseCount"], final["fileCount"], final["lockedFileCount"]) == (3, 3 * len(FILES), 3)

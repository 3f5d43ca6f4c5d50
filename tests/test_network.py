"""The simulated Soulseek network, spoken to frame by frame: login, the commands slskd sends,
private messages both ways, acknowledgements, replays, kicks, lying frames and the control API."""

from __future__ import annotations

import json
import logging
import struct
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from conformance.network import messages
from conformance.network.codec import Builder, Code
from conformance.network.control import ControlServer
from conformance.network.messages import OFFLINE, ONLINE
from conformance.network.server import NetworkServer
from conformance.network.state import PeerKind
from tests.network_client import RawClient, eventually, logged_in

PEERS = {"echo": PeerKind.ECHO, "quiet": PeerKind.SILENT, "away": PeerKind.OFFLINE}


@pytest.fixture
def network() -> Iterator[NetworkServer]:
    with NetworkServer(PEERS) as server:
        yield server


def account(network: NetworkServer, username: str) -> dict[str, Any]:
    found = network.call(network.network.account, username)
    assert found is not None
    return found


# --- login -----------------------------------------------------------------------------------------
def test_a_login_is_answered_with_the_clients_address_and_listed_with_its_connection(
    network: NetworkServer,
) -> None:
    client = RawClient(network.port)
    result = client.login("alice")
    assert result.succeeded and result.address == "127.0.0.1" and "no real user" in result.message
    eventually(lambda: network.call(network.network.sessions), "the session")
    (session,) = network.call(network.network.sessions)
    assert session == {
        "username": "alice",
        "address": "127.0.0.1",
        "port": client.port,
        "listen_port": 40000,
        "status": ONLINE,
    }


@pytest.mark.parametrize(
    ("username", "password", "reason"),
    [("alice", "wrong", "INVALIDPASS"), (" ", "pw", "INVALIDUSERNAME"), ("echo", "pw", "INVALIDPASS")],
)
def test_a_refused_login_gets_the_reason_and_the_connection_closed(
    network: NetworkServer, username: str, password: str, reason: str
) -> None:
    logged_in(network, "alice").close()
    client = RawClient(network.port)
    assert client.login(username, password) == (False, reason, None)
    assert client.closed_by_server()


def test_a_second_login_with_the_same_name_kicks_the_first(network: NetworkServer) -> None:
    first = logged_in(network, "alice")
    second = logged_in(network, "alice")
    first.expect(Code.KICKED_FROM_SERVER)
    assert first.closed_by_server()
    (session,) = network.call(network.network.sessions)
    assert session["port"] == second.port


def test_commands_before_login_are_ignored(network: NetworkServer) -> None:
    client = RawClient(network.port)
    client.send(messages.private_message_command("echo", "too early"), messages.ping())
    assert client.login("alice").succeeded
    assert account(network, "alice")["sent"] == []


# --- the commands slskd sends after login ----------------------------------------------------------
def test_ping_and_check_privileges_are_answered(network: NetworkServer) -> None:
    client = logged_in(network, "alice")
    client.send(messages.ping(), Builder(Code.CHECK_PRIVILEGES).build())
    assert client.expect(Code.PING).remaining == 0
    assert client.expect(Code.CHECK_PRIVILEGES).uint32() == 0


@pytest.mark.parametrize(
    ("username", "status"), [("echo", ONLINE), ("quiet", ONLINE), ("away", OFFLINE), ("nobody", OFFLINE)]
)
def test_get_status_reports_peers_and_unknown_users(
    network: NetworkServer, username: str, status: int
) -> None:
    client = logged_in(network, "alice")
    client.send(messages.username_request(Code.GET_STATUS, username))
    answer = client.expect(Code.GET_STATUS)
    assert (answer.string(), answer.uint32(), answer.byte()) == (username, status, 0)


def test_watch_user_says_whether_the_user_exists(network: NetworkServer) -> None:
    client = logged_in(network, "alice")
    client.send(*(messages.username_request(Code.WATCH_USER, name) for name in ("echo", "x")))
    echo = client.expect(Code.WATCH_USER)
    assert (echo.string(), echo.byte(), echo.uint32()) == ("echo", 1, ONLINE)
    unknown = client.expect(Code.WATCH_USER)
    assert (unknown.string(), unknown.byte(), unknown.remaining) == ("x", 0, 0)


def test_get_peer_address_gives_a_session_its_address_and_a_peer_none(network: NetworkServer) -> None:
    bob = logged_in(network, "bob")
    client = logged_in(network, "alice")
    client.send(messages.username_request(Code.GET_PEER_ADDRESS, "bob"))
    answer = client.expect(Code.GET_PEER_ADDRESS)
    fields = (answer.string(), answer.ipv4(), answer.uint32(), answer.uint32(), answer.uint16())
    assert fields == ("bob", "127.0.0.1", 40000, 0, 0) and answer.remaining == 0
    client.send(messages.username_request(Code.GET_PEER_ADDRESS, "echo"))
    echo = client.expect(Code.GET_PEER_ADDRESS)
    fields = (echo.string(), echo.ipv4(), echo.uint32(), echo.uint32(), echo.uint16())
    assert fields == ("echo", "0.0.0.0", 0, 0, 0) and echo.remaining == 0
    bob.close()


def test_get_peer_address_hands_out_the_obfuscated_port_a_session_announced(network: NetworkServer) -> None:
    bob = logged_in(network, "bob")
    bob.send(messages.set_listen_port(40000, obfuscated_port=40001))
    client = logged_in(network, "alice")
    eventually(lambda: network.call(network.network.address, "bob").obfuscated_port, "the obfuscated port")
    client.send(messages.username_request(Code.GET_PEER_ADDRESS, "bob"))
    answer = client.expect(Code.GET_PEER_ADDRESS)
    assert (answer.string(), answer.ipv4(), answer.uint32(), answer.uint32(), answer.uint16()) == (
        "bob",
        "127.0.0.1",
        40000,
        1,
        40001,
    )
    bob.close()


def test_configuration_and_unknown_commands_are_recorded_and_ignored(network: NetworkServer) -> None:
    client = logged_in(network, "alice")
    client.send(
        messages.set_online_status(1),
        Builder(Code.SHARED_FOLDERS_AND_FILES).uint32(3).uint32(30).build(),
        Builder(9999).string("whatever").build(),
        messages.ping(),
    )
    client.expect(Code.PING)
    assert account(network, "alice")["commands"] == {"1": 1, "2": 1, "28": 1, "32": 1, "35": 1, "9999": 1}
    assert network.call(network.network.sessions)[0]["status"] == 1


def test_connect_to_peer_is_passed_on_with_the_requesters_address_and_a_refusal_relayed_back(
    network: NetworkServer,
) -> None:
    bob = logged_in(network, "bob")
    alice = logged_in(network, "alice")
    alice.send(messages.connect_to_peer_request(77, "bob", "P"))
    asked = bob.expect(Code.CONNECT_TO_PEER)
    fields = (asked.string(), asked.string(), asked.ipv4(), asked.uint32(), asked.uint32(), asked.byte())
    assert fields == ("alice", "P", "127.0.0.1", 40000, 77, 0)
    assert (asked.uint32(), asked.uint32(), asked.remaining) == (0, 0, 0)
    bob.send(messages.cant_connect_to_peer(77, "alice"))
    refused = alice.expect(Code.CANT_CONNECT_TO_PEER)
    assert (refused.uint32(), refused.string()) == (77, "bob")


@pytest.mark.parametrize("username", ["echo", "nobody"])
def test_connect_to_a_user_nobody_can_reach_is_refused_at_once(network: NetworkServer, username: str) -> None:
    client = logged_in(network, "alice")
    client.send(messages.connect_to_peer_request(78, username, "P"))
    refused = client.expect(Code.CANT_CONNECT_TO_PEER)
    assert (refused.uint32(), refused.string()) == (78, username)
    assert network.call(network.network.unimplemented_view) == []


# --- what the network does not implement ---------------------------------------------------------
def test_a_request_the_network_does_not_know_is_counted_and_logged_once_per_user_and_code(
    network: NetworkServer, caplog: pytest.LogCaptureFixture
) -> None:
    alice, bob = logged_in(network, "alice"), logged_in(network, "bob")
    with caplog.at_level(logging.INFO, logger="conformance.network"):
        for client in (alice, alice, bob):
            client.send(Builder(9999).string("whatever").build(), messages.ping())
            client.expect(Code.PING)  # nothing answered the 9999 before the ping's answer
    logged = [r.getMessage() for r in caplog.records if "does not implement" in r.getMessage()]
    assert logged == [
        "alice sent code 9999, which the network does not implement: not answered",
        "bob sent code 9999, which the network does not implement: not answered",
    ]
    with ControlServer(network) as api:
        status, records = control(api.url, "GET", "/unimplemented")
    assert status == 200
    assert records == [{"code": 9999, "name": None, "count": 3, "users": ["alice", "bob"], "answer": None}]


def test_commands_that_only_inform_the_server_are_not_unimplemented(network: NetworkServer) -> None:
    client = logged_in(network, "alice")
    for code in (Code.HAVE_NO_PARENTS, Code.BRANCH_LEVEL, Code.BRANCH_ROOT, Code.ACCEPT_CHILDREN):
        client.send(Builder(code).uint32(0).build())
    client.send(Builder(Code.PRIVATE_ROOM_TOGGLE).byte(1).build(), messages.ping())
    client.expect(Code.PING)
    assert network.call(network.network.unimplemented_view) == []


# --- private messages ----------------------------------------------------------------------------
def test_a_private_message_arrives_with_a_server_id_a_whole_second_and_the_new_flag(
    network: NetworkServer,
) -> None:
    bob = logged_in(network, "bob")
    alice = logged_in(network, "alice")
    before = int(time.time())
    alice.send(messages.private_message_command("bob", "hi bob"))
    received = messages.read_private_message(bob.expect(Code.PRIVATE_MESSAGE))
    assert received.id > 0 and before <= received.timestamp <= time.time()
    assert (received.username, received.message, received.is_new) == ("alice", "hi bob", True)
    (sent,) = account(network, "alice")["sent"]
    assert sent == {
        "id": received.id,
        "timestamp": received.timestamp,
        "from": "alice",
        "to": "bob",
        "message": "hi bob",
    }
    assert account(network, "bob")["unacknowledged"] == [received.id]
    bob.send(messages.acknowledge(received.id))
    eventually(lambda: account(network, "bob")["acknowledged"] == [received.id], "the acknowledgement")
    assert account(network, "bob")["unacknowledged"] == []


def test_the_echo_peer_answers_once_and_the_silent_and_offline_peers_never(network: NetworkServer) -> None:
    alice = logged_in(network, "alice")
    alice.send(*(messages.private_message_command(peer, "hello") for peer in ("quiet", "away", "echo")))
    reply = messages.read_private_message(alice.expect(Code.PRIVATE_MESSAGE))
    assert (reply.username, reply.message, reply.is_new) == ("echo", "echo: hello", True)
    alice.send(messages.ping())
    assert alice.frame().code == Code.PING  # nothing else came in between: one reply only
    peers = network.call(network.network.peer_view)
    received = {p["username"]: [m["message"] for m in p["received"]] for p in peers}
    assert received == {"echo": ["hello"], "quiet": ["hello"], "away": ["hello"]}


def test_unacknowledged_messages_are_replayed_at_the_next_login_and_acknowledged_ones_not(
    network: NetworkServer,
) -> None:
    bob = logged_in(network, "bob")
    ids = network.call(network.network.peer_sends, "echo", "bob", "note", 2)
    first, second = (messages.read_private_message(bob.expect(Code.PRIVATE_MESSAGE)) for _ in ids)
    bob.send(messages.acknowledge(first.id))
    eventually(lambda: account(network, "bob")["acknowledged"], "the acknowledgement")
    bob.close()
    again = logged_in(network, "bob")
    replayed = messages.read_private_message(again.expect(Code.PRIVATE_MESSAGE))
    assert replayed == second._replace(is_new=False)


def test_messages_to_a_name_not_logged_in_are_held_until_its_login(network: NetworkServer) -> None:
    alice = logged_in(network, "alice")
    alice.send(messages.private_message_command("carol", "for later"))
    eventually(lambda: account(network, "alice")["sent"], "the send")
    carol = logged_in(network, "carol", "her own password")
    held = messages.read_private_message(carol.expect(Code.PRIVATE_MESSAGE))
    assert (held.username, held.message, held.is_new) == ("alice", "for later", False)


# --- lying frames --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "lie",
    [
        struct.pack("<I", 1 << 30),  # a length far past any frame
        struct.pack("<I", 2) + b"\x01\x00",  # a length with no room for the code
        Builder(Code.PRIVATE_MESSAGE).uint32(1000).build(),  # a string longer than its frame
        Builder(Code.LOGIN).string("alice").build(),  # a login that stops half-way
    ],
    ids=["huge-length", "short-length", "string-past-frame", "truncated-login"],
)
def test_a_lying_frame_closes_that_connection_with_a_log_line_and_nothing_else(
    network: NetworkServer, lie: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    bystander = logged_in(network, "bob")
    liar = logged_in(network, "alice")
    with caplog.at_level(logging.WARNING, logger="conformance.network"):
        liar.send(lie)
        assert liar.closed_by_server()
    assert [r.getMessage() for r in caplog.records if "closing" in r.getMessage()]
    assert [s["username"] for s in network.call(network.network.sessions)] == ["bob"]
    bystander.send(messages.ping())
    assert bystander.frame().code == Code.PING


# --- control API ---------------------------------------------------------------------------------
def control(url: str, method: str, path: str, body: object = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url + path, data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def test_the_control_api_lists_sessions_accounts_peers_sends_and_kicks(network: NetworkServer) -> None:
    with ControlServer(network) as api:
        assert api.url.startswith("http://127.0.0.1:")
        bob = logged_in(network, "bob")
        status, sessions = control(api.url, "GET", "/sessions")
        assert status == 200 and [s["username"] for s in sessions] == ["bob"]
        request = {"to": "bob", "message": "m", "count": 3}
        status, sent = control(api.url, "POST", "/peers/quiet/messages", request)
        assert status == 201 and len(sent["ids"]) == 3
        texts = [messages.read_private_message(bob.expect(Code.PRIVATE_MESSAGE)).message for _ in range(3)]
        assert texts == ["m (1/3)", "m (2/3)", "m (3/3)"]
        status, bob_view = control(api.url, "GET", "/accounts/bob")
        assert status == 200 and bob_view["unacknowledged"] == sent["ids"]
        assert control(api.url, "GET", "/peers")[1][0]["username"] == "away"
        carol = logged_in(network, "carol")
        assert control(api.url, "POST", "/sessions/carol/disconnect") == (204, None)
        assert carol.closed_by_server()  # no KickedFromServer: the connection just ends
        assert control(api.url, "DELETE", "/sessions/bob") == (204, None)
        bob.expect(Code.KICKED_FROM_SERVER)
        assert control(api.url, "GET", "/sessions") == (200, [])


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("GET", "/accounts/nobody", None, 404),
        ("DELETE", "/sessions/nobody", None, 404),
        ("POST", "/sessions/nobody/disconnect", None, 404),
        ("POST", "/peers/nobody/messages", {"to": "bob"}, 404),
        ("POST", "/peers/echo/messages", {"message": "no recipient"}, 400),
        ("POST", "/peers/echo/messages", {"to": "bob", "count": 0}, 400),
        ("POST", "/peers/echo/messages", {"to": "bob", "count": 1001}, 400),
        ("GET", "/nothing", None, 404),
    ],
)
def test_the_control_api_refuses_what_it_cannot_do(
    network: NetworkServer, method: str, path: str, body: object, status: int
) -> None:
    with ControlServer(network) as api:
        answer_status, answer = control(api.url, method, path, body)
    assert answer_status == status and "error" in answer

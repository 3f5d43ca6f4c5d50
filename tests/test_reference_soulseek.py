"""The reference slskd logged in to the simulated network (`serve --soulseek`): its sends,
receives and acknowledgements travel over the Soulseek protocol, and the network records them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from conformance.network.server import NetworkServer
from conformance.network.state import PeerKind
from conformance.reference import ReferenceOptions, ReferenceServer
from conformance.reference.command import main
from tests.network_client import eventually
from tests.servers.local import closed_port

USERNAME = "slskd-under-test"


@pytest.fixture
def network() -> Iterator[NetworkServer]:
    with NetworkServer({"echo": PeerKind.ECHO, "quiet": PeerKind.SILENT}) as server:
        yield server


@pytest.fixture
def slskd(network: NetworkServer) -> Iterator[ReferenceServer]:
    options = ReferenceOptions(
        soulseek=("127.0.0.1", network.port), soulseek_username=USERNAME, soulseek_password="pw"
    )
    with ReferenceServer(options) as server:
        yield server


def account(network: NetworkServer) -> dict[str, Any]:
    found = network.call(network.network.account, USERNAME)
    assert found is not None
    return found


def send(slskd: ReferenceServer, username: str, text: str) -> requests.Response:
    return requests.post(f"{slskd.base_url}/conversations/{username}", json=text, timeout=5)


def messages_of(slskd: ReferenceServer, username: str) -> list[dict[str, Any]]:
    response = requests.get(f"{slskd.base_url}/conversations/{username}/messages", timeout=5)
    return response.json() if response.status_code == 200 else []


def test_it_reports_the_network_login_and_is_logged_in_there_from_its_own_connection(
    network: NetworkServer, slskd: ReferenceServer
) -> None:
    server = requests.get(f"{slskd.base_url}/server", timeout=5).json()
    assert (server["username"], server["isLoggedIn"]) == (USERNAME, True)
    assert server["state"] == "Connected, LoggedIn"
    (session,) = network.call(network.network.sessions)
    assert (session["username"], session["address"]) == (USERNAME, "127.0.0.1")


def test_a_send_through_the_api_is_one_private_message_on_the_network(
    network: NetworkServer, slskd: ReferenceServer
) -> None:
    assert send(slskd, "quiet", "over the wire").status_code == 201
    eventually(lambda: account(network)["sent"], "the message at the network")
    (sent,) = account(network)["sent"]
    assert (sent["to"], sent["message"]) == ("quiet", "over the wire")


def test_a_peers_message_arrives_with_the_servers_id_and_second_and_its_ack_reaches_the_network(
    network: NetworkServer, slskd: ReferenceServer
) -> None:
    (message_id,) = network.call(network.network.peer_sends, "quiet", USERNAME, "knock knock", 1)
    eventually(lambda: messages_of(slskd, "quiet"), "the incoming message")
    (received,) = messages_of(slskd, "quiet")
    (delivered,) = account(network)["delivered"]
    assert (received["id"], received["message"], received["direction"]) == (message_id, "knock knock", "In")
    assert received["timestamp"] == _iso(delivered["timestamp"])  # the server's whole second
    assert received["wasReplayed"] is False and received["isAcknowledged"] is False
    ack = requests.put(f"{slskd.base_url}/conversations/quiet/{message_id}", timeout=5)
    assert ack.status_code == 200
    eventually(lambda: account(network)["acknowledged"] == [message_id], "the acknowledgement")


def test_the_echo_peer_round_trip(network: NetworkServer, slskd: ReferenceServer) -> None:
    assert send(slskd, "echo", "are you there").status_code == 201
    eventually(lambda: len(messages_of(slskd, "echo")) == 2, "the echo")
    texts = {(m["direction"], m["message"]) for m in messages_of(slskd, "echo")}
    assert texts == {("Out", "are you there"), ("In", "echo: are you there")}


def test_a_message_left_unacknowledged_is_stored_replayed_after_a_new_login(network: NetworkServer) -> None:
    options = ReferenceOptions(soulseek=("127.0.0.1", network.port), soulseek_username=USERNAME)
    with ReferenceServer(options) as first:
        network.call(network.network.peer_sends, "quiet", USERNAME, "unread", 1)
        eventually(lambda: messages_of(first, "quiet"), "the first delivery")
    with ReferenceServer(options) as second:
        eventually(lambda: messages_of(second, "quiet"), "the replay")
        (replayed,) = messages_of(second, "quiet")
        assert (replayed["message"], replayed["wasReplayed"]) == ("unread", True)


def test_a_kick_leaves_it_disconnected_and_sends_fail(network: NetworkServer, slskd: ReferenceServer) -> None:
    network.call(network.network.kick, USERNAME)
    eventually(lambda: not requests.get(f"{slskd.base_url}/server", timeout=5).json()["isLoggedIn"], "logout")
    refused = send(slskd, "quiet", "after the kick")
    assert refused.status_code == 500 and "must be connected and logged in" in refused.json()


def test_serve_with_an_unreachable_network_ends_with_one_line_and_exit_3(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--port", "0", "--soulseek", f"127.0.0.1:{closed_port()}"]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot connect to the Soulseek server" in err


def test_serve_refused_by_the_network_ends_with_one_line_and_exit_3(
    network: NetworkServer, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--port", "0", "--soulseek", f"127.0.0.1:{network.port}", "--soulseek-username", "echo"]
    assert main(argv) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "refused the login: INVALIDPASS" in err


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_dropped_connection_logs_in_again_and_the_replay_updates_the_stored_message(
    network: NetworkServer, slskd: ReferenceServer
) -> None:
    (message_id,) = network.call(network.network.peer_sends, "quiet", USERNAME, "still unread", 1)
    eventually(lambda: messages_of(slskd, "quiet"), "the first delivery")
    (first,) = network.call(network.network.sessions)
    assert network.call(network.network.disconnect, USERNAME)
    ports = lambda: [s["port"] for s in network.call(network.network.sessions)]  # noqa: E731
    eventually(lambda: ports() not in ([], [first["port"]]), "the new login")
    eventually(lambda: messages_of(slskd, "quiet")[0]["wasReplayed"], "the replay")
    (stored,) = messages_of(slskd, "quiet")  # the same message, updated: no copy
    assert (stored["id"], stored["wasReplayed"], stored["isAcknowledged"]) == (message_id, True, False)


@pytest.mark.parametrize("address", ["localhost", "host:port", ":2271", "host:70000"])
def test_serve_with_a_bad_soulseek_address_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], address: str
) -> None:
    assert main(["--port", "0", "--soulseek", address]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is not HOST:PORT" in err

"""Status pushes: a session watching a user (WatchUser) is sent GetStatus whenever that user
logs in, logs out, is kicked or dropped, or changes status, as the real server does; without
them slskd's cached presence of a watched user goes stale."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conformance.network import messages
from conformance.network.codec import Code
from conformance.network.messages import AWAY, OFFLINE, ONLINE
from conformance.network.server import NetworkServer
from conformance.network.state import PeerKind
from tests.network_client import RawClient, logged_in


@pytest.fixture
def network() -> Iterator[NetworkServer]:
    with NetworkServer({"echo": PeerKind.ECHO}) as server:
        yield server


def watching(network: NetworkServer, watcher: str, *usernames: str) -> RawClient:
    """A session logged in as `watcher` that has watched each user (and read the answers)."""
    client = logged_in(network, watcher)
    for username in usernames:
        client.send(messages.username_request(Code.WATCH_USER, username))
        assert client.expect(Code.WATCH_USER).string() == username
    return client


def pushed(client: RawClient) -> tuple[str, int, int]:
    answer = client.expect(Code.GET_STATUS)
    return answer.string(), answer.uint32(), answer.byte()


def test_a_watcher_is_told_when_the_user_changes_status_logs_out_and_logs_in(network: NetworkServer) -> None:
    bob = logged_in(network, "bob")
    alice = watching(network, "alice", "bob")
    bob.send(messages.set_online_status(AWAY))
    assert pushed(alice) == ("bob", AWAY, 0)
    bob.close()
    assert pushed(alice) == ("bob", OFFLINE, 0)
    bob = logged_in(network, "bob")
    assert pushed(alice) == ("bob", ONLINE, 0)
    bob.close()


def test_every_watcher_is_told_and_a_session_that_does_not_watch_is_not(network: NetworkServer) -> None:
    bob = logged_in(network, "bob")
    alice, carol = watching(network, "alice", "bob"), watching(network, "carol", "bob")
    dave = logged_in(network, "dave")
    bob.send(messages.set_online_status(AWAY))
    assert pushed(alice) == pushed(carol) == ("bob", AWAY, 0)
    dave.send(messages.ping())
    assert dave.frame().code == Code.PING  # nothing about bob came before the ping's answer
    bob.close()


def test_the_same_status_again_is_not_pushed(network: NetworkServer) -> None:
    bob = logged_in(network, "bob")
    alice = watching(network, "alice", "bob")
    bob.send(messages.set_online_status(ONLINE), messages.set_online_status(AWAY))
    assert pushed(alice) == ("bob", AWAY, 0)


def test_a_kick_or_a_dropped_connection_is_pushed_as_offline(network: NetworkServer) -> None:
    first = logged_in(network, "bob")
    alice = watching(network, "alice", "bob")
    assert network.call(network.network.kick, "bob")
    assert pushed(alice) == ("bob", OFFLINE, 0)
    second = logged_in(network, "bob")
    assert pushed(alice) == ("bob", ONLINE, 0)
    assert network.call(network.network.disconnect, "bob")
    assert pushed(alice) == ("bob", OFFLINE, 0)
    first.close()
    second.close()


def test_a_second_login_with_the_name_is_pushed_as_online_never_offline(network: NetworkServer) -> None:
    first = logged_in(network, "bob")
    alice = watching(network, "alice", "bob")
    second = logged_in(network, "bob")
    assert pushed(alice) == ("bob", ONLINE, 0)
    first.expect(Code.KICKED_FROM_SERVER)
    alice.send(messages.ping())
    assert alice.frame().code == Code.PING
    second.close()


def test_unwatch_stops_the_pushes(network: NetworkServer) -> None:
    bob = logged_in(network, "bob")
    alice = watching(network, "alice", "bob")
    alice.send(messages.username_request(Code.UNWATCH_USER, "bob"))
    alice.send(messages.ping())
    alice.expect(Code.PING)  # the unwatch is applied before bob changes
    bob.send(messages.set_online_status(AWAY), messages.ping())
    bob.expect(Code.PING)
    alice.send(messages.ping())
    assert alice.frame().code == Code.PING


def test_a_watch_list_ends_with_its_session(network: NetworkServer) -> None:
    bob = logged_in(network, "bob")
    watching(network, "alice", "bob").close()
    alice = logged_in(network, "alice")  # a new session: it has watched nobody
    bob.send(messages.set_online_status(AWAY), messages.ping())
    bob.expect(Code.PING)
    alice.send(messages.ping())
    assert alice.frame().code == Code.PING


def test_a_user_watching_itself_hears_its_own_status_change(network: NetworkServer) -> None:
    alice = watching(network, "alice", "alice")  # aioslsk and Nicotine+ both watch themselves
    alice.send(messages.set_online_status(AWAY))
    assert pushed(alice) == ("alice", AWAY, 0)


def test_a_name_nobody_has_is_not_watched(network: NetworkServer) -> None:
    alice = watching(network, "alice", "newcomer")
    newcomer = logged_in(network, "newcomer")
    alice.send(messages.ping())
    assert alice.frame().code == Code.PING
    newcomer.close()

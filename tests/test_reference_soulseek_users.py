"""The reference's Soulseek client asks about users over the protocol: `SoulseekConnection`,
logged in to a started `conformance network`, must give for every kind of peer of the library
exactly what `conformance.peers.browsing` says that peer shows (a browse with its locked folders,
a user info with or without its picture, one folder's contents), each user's presence and
address as the server gives them, UserOffline for an offline or unknown user before any
connection, and SoulseekError, within about the simulated network's response timeout, for a
peer that never answers or drops the connection."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest

from conformance.network.command import DEFAULT_PEERS
from conformance.network.server import NetworkServer
from conformance.network.sharing import SharingPeers
from conformance.peers import browsing, library
from conformance.peers.library import Presence
from conformance.reference.network import RESPONSE_TIMEOUT_S
from conformance.reference.network_errors import SoulseekError, UserOffline
from conformance.reference.soulseek import SoulseekConnection

SEED = 3
PEERS = {peer.username: peer for peer in library.load(seed=SEED)}
ANSWERING = ["sharing-peer", "away-peer", "empty-peer", "busy-peer", "few-files-peer"]


@pytest.fixture(scope="module")
def network() -> Iterator[NetworkServer]:
    with NetworkServer(DEFAULT_PEERS, sharing=SharingPeers(tuple(PEERS.values()), SEED)) as server:
        yield server


@pytest.fixture(scope="module")
def client(network: NetworkServer) -> Iterator[SoulseekConnection]:
    connection = SoulseekConnection("127.0.0.1", network.port, "slskd-under-test", "pw")
    connection.start(lambda incoming: None)
    yield connection
    connection.close()


@pytest.mark.parametrize("peer", ANSWERING)
def test_a_browse_is_the_peers_shares_with_the_locked_folders_apart(
    client: SoulseekConnection, peer: str
) -> None:
    progress: list[tuple[int, int]] = []
    shares = client.browse(peer, lambda done, size: progress.append((done, size)))
    assert shares == browsing.shares(PEERS[peer])
    assert progress and progress[-1][0] == progress[-1][1] > 0


def test_sharing_peers_browse_has_locked_folders_and_unicode_paths(client: SoulseekConnection) -> None:
    shares = client.browse("sharing-peer")
    assert shares.locked_directories and all(f.locked for d in shares.locked_directories for f in d.files)
    assert not any(f.locked for d in shares.directories for f in d.files)
    assert any(not d.name.isascii() for d in shares.directories)


@pytest.mark.parametrize("peer", ANSWERING)
def test_a_user_info_is_the_peers_profile(client: SoulseekConnection, peer: str) -> None:
    assert client.user_info(peer) == browsing.info(PEERS[peer])


def test_a_picture_arrives_whole_and_a_missing_one_as_none(client: SoulseekConnection) -> None:
    assert client.user_info("sharing-peer").picture == PEERS["sharing-peer"].picture is not None
    assert client.user_info("away-peer").picture is None


def directories(peer: str) -> list[str]:
    shares = browsing.shares(PEERS[peer])
    return [d.name for d in (*shares.directories, *shares.locked_directories)]


@pytest.mark.parametrize("directory", [*directories("sharing-peer"), "no such folder"])
def test_a_folders_contents_are_that_open_folder_or_nothing(
    client: SoulseekConnection, directory: str
) -> None:
    contents = client.folder_contents("sharing-peer", directory)
    assert contents == browsing.folder_contents(PEERS["sharing-peer"], directory)
    locked = {d.name for d in browsing.shares(PEERS["sharing-peer"]).locked_directories}
    assert len(contents) == (0 if directory in locked or directory == "no such folder" else 1)


def test_concurrent_folder_requests_get_their_own_answers_by_token(client: SoulseekConnection) -> None:
    wanted = directories("sharing-peer") * 2
    got: dict[int, object] = {}

    def ask(index: int, directory: str) -> None:
        got[index] = client.folder_contents("sharing-peer", directory)

    threads = [threading.Thread(target=ask, args=item) for item in enumerate(wanted)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert [got[i] for i in range(len(wanted))] == [
        browsing.folder_contents(PEERS["sharing-peer"], d) for d in wanted
    ]


@pytest.mark.parametrize(
    ("username", "presence"),
    [
        ("sharing-peer", Presence.ONLINE),
        ("away-peer", Presence.AWAY),
        ("offline-peer", Presence.OFFLINE),
        ("nobody-by-that-name", Presence.OFFLINE),
        ("echo-peer", Presence.ONLINE),
    ],
)
def test_a_status_is_the_users_presence(
    client: SoulseekConnection, username: str, presence: Presence
) -> None:
    assert client.user_status(username) == (presence, False)


def test_an_endpoint_is_where_the_peer_listens(client: SoulseekConnection, network: NetworkServer) -> None:
    assert network.sharing is not None
    assert client.user_endpoint("away-peer") == ("127.0.0.1", network.sharing.ports["away-peer"])


Call = Callable[[SoulseekConnection, str], object]
CALLS: dict[str, Call] = {
    "endpoint": lambda c, u: c.user_endpoint(u),
    "browse": lambda c, u: c.browse(u),
    "info": lambda c, u: c.user_info(u),
    "folder": lambda c, u: c.folder_contents(u, "Music"),
}


@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
@pytest.mark.parametrize("username", ["offline-peer", "nobody-by-that-name"])
def test_an_offline_or_unknown_user_is_user_offline(
    client: SoulseekConnection, call: Call, username: str
) -> None:
    with pytest.raises(UserOffline, match=f"User {username} appears to be offline"):
        call(client, username)


PEER_CALLS = {k: v for k, v in CALLS.items() if k != "endpoint"}


@pytest.mark.parametrize("call", PEER_CALLS.values(), ids=PEER_CALLS.keys())
def test_a_slow_peer_costs_the_response_timeout_then_a_soulseek_error(
    client: SoulseekConnection, call: Call
) -> None:
    started = time.monotonic()
    with pytest.raises(SoulseekError, match="timed out") as raised:
        call(client, "slow-answering-peer")
    assert not isinstance(raised.value, UserOffline)
    assert RESPONSE_TIMEOUT_S <= time.monotonic() - started < RESPONSE_TIMEOUT_S + 2


@pytest.mark.parametrize("call", PEER_CALLS.values(), ids=PEER_CALLS.keys())
def test_a_dropped_connection_fails_at_once(client: SoulseekConnection, call: Call) -> None:
    started = time.monotonic()
    with pytest.raises(SoulseekError, match="closed before") as raised:
        call(client, "dropping-answering-peer")
    assert not isinstance(raised.value, UserOffline)
    assert time.monotonic() - started < RESPONSE_TIMEOUT_S


def test_a_peer_answers_again_after_another_dropped(client: SoulseekConnection) -> None:
    with pytest.raises(SoulseekError):
        client.browse("dropping-answering-peer")
    assert client.browse("sharing-peer") == browsing.shares(PEERS["sharing-peer"])


def test_nothing_is_asked_before_the_login(network: NetworkServer) -> None:
    connection = SoulseekConnection("127.0.0.1", network.port, "never-logged-in", "pw")
    for call in (*CALLS.values(), lambda c, u: c.user_status(u)):
        with pytest.raises(SoulseekError, match="logged in"):
            call(connection, "sharing-peer")

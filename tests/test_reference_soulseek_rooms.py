"""The reference's Soulseek client in chat rooms (`SoulseekRooms`), logged in to a started
`conformance network`: joins get the server's member lists or RoomForbidden, the room's events
reach the receiver in the order the server sent them, our own messages come back as events,
the calls Soulseek.NET waits on fail within about a second when the server stays silent, and
nothing is sent before a login."""

from __future__ import annotations

import queue
import time
from collections.abc import Iterator

import pytest

from conformance.network.server import NetworkServer
from conformance.peers.library import Presence
from conformance.reference.network_errors import RoomForbidden, SoulseekError
from conformance.reference.rooms_network import RoomEvent, RoomListing
from conformance.reference.soulseek import SoulseekConnection
from conformance.reference.soulseek_rooms import REPLY_TIMEOUT_S
from tests.network_client import eventually, room_view

LOBBY, QUIET, CLOSED, PRIVATE = (
    "conformance-lobby",
    "Conformance Quiet Room",
    "conformance-closed",
    "conformance-private",
)
WAIT_S = 5.0


class Events:
    """A room receiver that keeps what it is given, in order."""

    def __init__(self) -> None:
        self.received: queue.Queue[RoomEvent] = queue.Queue()

    def __call__(self, event: RoomEvent) -> None:
        self.received.put(event)

    def next(self, count: int = 1) -> list[RoomEvent]:
        return [self.received.get(timeout=WAIT_S) for _ in range(count)]


@pytest.fixture
def network() -> Iterator[NetworkServer]:
    with NetworkServer({}) as server:
        yield server


def connected(network: NetworkServer, username: str) -> tuple[SoulseekConnection, Events]:
    client = SoulseekConnection("127.0.0.1", network.port, username, "pw")
    events = Events()
    client.watch_rooms(events)
    client.start(lambda _: None)
    return client, events


@pytest.fixture
def alice(network: NetworkServer) -> Iterator[tuple[SoulseekConnection, Events]]:
    client, events = connected(network, "alice")
    yield client, events
    client.close()


def test_a_join_returns_the_members_the_server_listed_and_the_chatter_follows_in_order(
    network: NetworkServer, alice: tuple[SoulseekConnection, Events]
) -> None:
    client, events = alice
    joined = client.join_room(LOBBY)
    assert joined.name == LOBBY and not joined.private and joined.owner is None
    assert [user.as_json() for user in joined.users] == room_view(network, LOBBY)["members"]
    assert [user.username for user in joined.users][-1] == "alice"
    said, came, visitor_said, went = events.next(4)
    assert said == RoomEvent("said", LOBBY, "sharing-peer", "welcome to the lobby")
    assert (came.kind, came.room, came.username) == ("joined", LOBBY, "visiting-peer")
    assert came.user is not None and came.user.presence is Presence.ONLINE
    assert visitor_said == RoomEvent("said", LOBBY, "visiting-peer", 'hi all: ünïcode, "quotes" and a \\ too')
    assert went == RoomEvent("left", LOBBY, "visiting-peer")


def test_a_refused_join_is_room_forbidden(alice: tuple[SoulseekConnection, Events]) -> None:
    client, _ = alice
    with pytest.raises(RoomForbidden):
        client.join_room(CLOSED)


def test_a_private_room_comes_with_its_owner_and_operators(
    network: NetworkServer, alice: tuple[SoulseekConnection, Events]
) -> None:
    client, events = alice
    joined = client.join_room(PRIVATE, private=True)
    assert (joined.private, joined.owner, joined.operators) == (True, "sharing-peer", ("busy-peer",))
    assert events.next() == [RoomEvent("said", PRIVATE, "busy-peer", "members only")]
    client.add_room_member(PRIVATE, "carol")  # returns once the server echoed it
    assert room_view(network, PRIVATE)["added"] == ["carol"]


def test_our_own_message_comes_back_as_an_event_and_the_server_records_it(
    network: NetworkServer, alice: tuple[SoulseekConnection, Events]
) -> None:
    client, events = alice
    client.join_room(QUIET)
    client.say_in_room(QUIET, "hello, quiet room")
    assert events.next() == [RoomEvent("said", QUIET, "alice", "hello, quiet room")]
    assert room_view(network, QUIET)["messages"] == [{"username": "alice", "message": "hello, quiet room"}]


def test_another_client_coming_and_going_reaches_the_receiver(
    network: NetworkServer, alice: tuple[SoulseekConnection, Events]
) -> None:
    client, events = alice
    client.join_room(QUIET)
    bob, _ = connected(network, "bob")
    try:
        bob.join_room(QUIET)
        (came,) = events.next()
        assert (came.kind, came.username) == ("joined", "bob") and came.user is not None
        bob.leave_room(QUIET)
        assert events.next() == [RoomEvent("left", QUIET, "bob")]
    finally:
        bob.close()


def test_a_leave_returns_once_answered_and_the_room_list_counts_who_is_in(
    network: NetworkServer, alice: tuple[SoulseekConnection, Events]
) -> None:
    client, _ = alice
    client.join_room(QUIET)
    listing = client.room_list()
    assert listing == RoomListing(((LOBBY, 3), (QUIET, 2), (CLOSED, 1)), (), ((PRIVATE, 2),), ())
    client.leave_room(QUIET)
    assert room_view(network, QUIET)["clients"] == []


def test_a_ticker_is_written_without_waiting(
    network: NetworkServer, alice: tuple[SoulseekConnection, Events]
) -> None:
    client, _ = alice
    client.join_room(QUIET)
    client.set_room_ticker(QUIET, "on air")
    eventually(lambda: room_view(network, QUIET)["tickers"], "the ticker at the network")
    assert room_view(network, QUIET)["tickers"] == [{"username": "alice", "ticker": "on air"}]


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda c: c.leave_room(QUIET), id="leave a room it is not in"),
        pytest.param(lambda c: c.add_room_member(QUIET, "carol"), id="add a member to a public room"),
    ],
)
def test_a_call_the_server_leaves_unanswered_fails_within_about_a_second(
    alice: tuple[SoulseekConnection, Events], call: object
) -> None:
    client, _ = alice
    started = time.monotonic()
    with pytest.raises(SoulseekError, match="did not answer"):
        call(client)  # type: ignore[operator]
    assert REPLY_TIMEOUT_S <= time.monotonic() - started < REPLY_TIMEOUT_S + 1.0


def test_a_receiver_that_fails_costs_only_that_event(
    network: NetworkServer, alice: tuple[SoulseekConnection, Events]
) -> None:
    client, events = alice
    failed: list[RoomEvent] = []

    def fragile(event: RoomEvent) -> None:
        if not failed:
            failed.append(event)
            raise RuntimeError("the receiver's own bug")
        events(event)

    client.watch_rooms(fragile)
    client.join_room(LOBBY)
    assert [e.kind for e in events.next(3)] == ["joined", "said", "left"]
    assert [e.kind for e in failed] == ["said"]
    client.join_room(QUIET)  # the connection reads on


def test_nothing_is_sent_before_a_login(network: NetworkServer) -> None:
    client = SoulseekConnection("127.0.0.1", network.port, "carol", "pw")
    for call in (
        client.room_list,
        lambda: client.join_room(LOBBY),
        lambda: client.leave_room(LOBBY),
        lambda: client.say_in_room(LOBBY, "hi"),
        lambda: client.set_room_ticker(LOBBY, "t"),
        lambda: client.add_room_member(PRIVATE, "x"),
    ):
        with pytest.raises(SoulseekError, match="logged in"):
            call()
    assert network.call(network.network.sessions) == []

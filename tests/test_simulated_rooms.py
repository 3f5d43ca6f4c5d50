"""The simulated network's rooms in process (conformance.reference.simulated_rooms): what the
reference server's Rooms emulation hears, in the order a real server would send it."""

from __future__ import annotations

import queue
import time
from collections.abc import Iterator

import pytest

from conformance.peers.library import load
from conformance.reference.network import RESPONSE_TIMEOUT_S, SimulatedNetwork
from conformance.reference.network_errors import RoomForbidden, SoulseekError
from conformance.reference.rooms_network import RoomEvent
from conformance.reference.simulated_rooms import CHATTER_STEP_S

LOBBY, QUIET, CLOSED, PRIVATE = (
    "conformance-lobby",
    "Conformance Quiet Room",
    "conformance-closed",
    "conformance-private",
)
ME = "slskd-reference"
CHATTER = [
    ("said", "sharing-peer"),
    ("joined", "visiting-peer"),
    ("said", "visiting-peer"),
    ("left", "visiting-peer"),
]


class Heard:
    """A room receiver that keeps what it is given, in order."""

    def __init__(self) -> None:
        self.events: queue.Queue[RoomEvent] = queue.Queue()

    def __call__(self, event: RoomEvent) -> None:
        self.events.put(event)

    def next(self, within: float = 2.0) -> RoomEvent:
        return self.events.get(timeout=within)

    def drain(self) -> list[RoomEvent]:
        """Everything given so far, taken."""
        events = []
        while not self.events.empty():
            events.append(self.events.get_nowait())
        return events

    def quiet_for(self, seconds: float) -> bool:
        try:
            self.events.get(timeout=seconds)
        except queue.Empty:
            return True
        return False


@pytest.fixture
def network() -> Iterator[tuple[SimulatedNetwork, Heard]]:
    simulated = SimulatedNetwork(logged_in=True, echo_peers=(), sharing_peers=load(), seed=0)
    heard = Heard()
    simulated.watch_rooms(heard)
    yield simulated, heard
    simulated.close()


def view(network: SimulatedNetwork, room: str) -> dict:
    return next(r for r in network.rooms_view() if r["name"] == room)


def test_a_join_answers_the_members_with_the_client_last_and_the_chatter_follows(
    network: tuple[SimulatedNetwork, Heard],
) -> None:
    simulated, heard = network
    started = time.monotonic()
    joined = simulated.join_room(LOBBY)
    assert [u.username for u in joined.users] == ["sharing-peer", "busy-peer", "away-peer", ME]
    assert heard.events.empty(), "the chatter comes after the reply"
    assert [(e.kind, e.username) for e in (heard.next() for _ in CHATTER)] == CHATTER
    assert time.monotonic() - started >= len(CHATTER) * CHATTER_STEP_S
    assert heard.quiet_for(3 * CHATTER_STEP_S)
    room = view(simulated, LOBBY)
    assert [m["username"] for m in room["members"]] == ["sharing-peer", "busy-peer", "away-peer", ME]
    assert room["clients"] == [ME]
    assert [m["username"] for m in room["messages"]] == ["sharing-peer", "visiting-peer"]


def test_a_leave_lets_the_chatter_play_on_unheard_and_a_join_after_it_hears_its_own(
    network: tuple[SimulatedNetwork, Heard],
) -> None:
    """As on `conformance network`: what is said after the client left is recorded and heard by
    nobody (the visitor is never left behind); the view says where a later join's hearing begins."""
    simulated, heard = network
    simulated.join_room(LOBBY)
    assert view(simulated, LOBBY)["joinedAfter"] == {ME: 0}
    assert view(simulated, LOBBY)["chattering"]
    simulated.leave_room(LOBBY)
    deadline = time.monotonic() + 5.0
    while view(simulated, LOBBY)["chattering"] and time.monotonic() < deadline:
        time.sleep(CHATTER_STEP_S)
    room = view(simulated, LOBBY)
    assert [m["username"] for m in room["messages"]] == ["sharing-peer", "visiting-peer"]
    assert "visiting-peer" not in [m["username"] for m in room["members"]]
    assert room["clients"] == [] and room["joinedAfter"] == {}
    before_the_leave = [(e.kind, e.username) for e in heard.drain()]
    assert before_the_leave == CHATTER[: len(before_the_leave)], "nothing heard once out of the room"
    simulated.join_room(LOBBY)
    assert view(simulated, LOBBY)["joinedAfter"] == {ME: 2}
    assert [(e.kind, e.username) for e in (heard.next() for _ in CHATTER)] == CHATTER
    assert heard.quiet_for(3 * CHATTER_STEP_S)


def test_a_message_said_is_echoed_before_the_say_returns_and_recorded(
    network: tuple[SimulatedNetwork, Heard],
) -> None:
    simulated, heard = network
    simulated.join_room(QUIET)
    simulated.say_in_room(QUIET, "hello")
    assert heard.events.get_nowait() == RoomEvent("said", QUIET, ME, "hello")
    assert view(simulated, QUIET)["messages"] == [{"username": ME, "message": "hello"}]
    simulated.say_in_room(LOBBY, "not in it")  # the server ignores a room the client is not in
    assert heard.events.empty()


def test_a_refusing_room_a_private_room_and_an_unanswered_member(
    network: tuple[SimulatedNetwork, Heard],
) -> None:
    simulated, _ = network
    with pytest.raises(RoomForbidden):
        simulated.join_room(CLOSED)
    assert ME not in view(simulated, CLOSED)["clients"]
    private = simulated.join_room(PRIVATE)
    assert (private.private, private.owner, private.operators) == (True, "sharing-peer", ("busy-peer",))
    simulated.add_room_member(PRIVATE, "carol")
    simulated.set_room_ticker(PRIVATE, "hi")
    assert (view(simulated, PRIVATE)["added"], view(simulated, PRIVATE)["tickers"]) == (
        ["carol"],
        [{"username": ME, "ticker": "hi"}],
    )
    simulated.join_room(QUIET)
    started = time.monotonic()
    with pytest.raises(SoulseekError):
        simulated.add_room_member(QUIET, "carol")  # a public room: never echoed
    assert time.monotonic() - started < RESPONSE_TIMEOUT_S + 1


def test_the_room_list_counts_the_client_and_lists_the_private_room_as_the_members(
    network: tuple[SimulatedNetwork, Heard],
) -> None:
    simulated, _ = network
    simulated.join_room(QUIET)
    listing = simulated.room_list()
    assert listing.public == ((LOBBY, 3), (QUIET, 2), (CLOSED, 1))
    assert (listing.owned, listing.member, listing.operated) == ((), ((PRIVATE, 2),), ())


def test_every_call_fails_when_not_logged_in() -> None:
    simulated = SimulatedNetwork(logged_in=False, echo_peers=(), sharing_peers=load())
    for call in (
        simulated.room_list,
        lambda: simulated.join_room(LOBBY),
        lambda: simulated.leave_room(LOBBY),
        lambda: simulated.say_in_room(LOBBY, "x"),
        lambda: simulated.set_room_ticker(LOBBY, "x"),
        lambda: simulated.add_room_member(PRIVATE, "x"),
    ):
        with pytest.raises(SoulseekError, match="logged in"):
            call()


def test_the_view_has_the_control_apis_fields() -> None:
    simulated = SimulatedNetwork(logged_in=True, echo_peers=(), sharing_peers=load())
    fields = {"name", "members", "clients", "joinedAfter", "chattering", "chatter", "refuses", "private"}
    fields |= {"owner", "operators", "messages", "tickers", "added"}
    assert all(fields <= set(room) for room in simulated.rooms_view())

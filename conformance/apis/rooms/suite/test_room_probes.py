"""Rooms' probes: rooms not joined, a join with its members and chatter, a message said, a
refused join, a private room, the server's list and the messages a room keeps, each judged by
the model against what the network says happened in its rooms. The thin
`conformance/suite/test_room_probes.py` collects them.
"""

from __future__ import annotations

import pytest

from conformance.apis.rooms.ids import Room
from conformance.apis.rooms.model import (
    MESSAGES_KEPT,
    entries,
    listing_problems,
    message_problems,
    room_problems,
    self_problems,
    user_problems,
)
from conformance.apis.rooms.oracle import RoomsOracle
from conformance.apis.rooms.probes import RoomProbe, settle, unknown_room
from conformance.checks.context import SuiteContext, request_line
from conformance.checks.responses import json_body
from conformance.requirements.catalogue import Need
from conformance.requirements.registry import check

__all__ = [
    "probe",
    "test_a_join_lists_the_members_and_the_chatter_follows",
    "test_a_message_said_is_stored_once_as_the_server_echoed_it",
    "test_a_refused_join_is_an_error_and_tracks_no_room",
    "test_a_room_keeps_its_latest_250_messages",
    "test_a_room_not_joined_is_not_found",
    "test_the_private_room_its_ticker_and_a_member_added",
    "test_the_server_room_list_is_listed_as_the_server_sent_it",
]

LOBBY, QUIET = "conformance-lobby", "Conformance Quiet Room"  # conformance/peers/rooms.yaml
SAID = 'a message to the room: ünïcode, "quotes" and a \\ too'


@pytest.fixture
def probe(conformance: SuiteContext) -> RoomProbe:
    return RoomProbe(conformance)


def _declared(view: RoomsOracle, key: str) -> str:
    """The network's room with `key` (refuses, private) set; skip when it has none."""
    names = view.rooms_where(key)
    if not names:
        pytest.skip(f"the network has no room with {key}: true")
    return names[0]


def _joined(probe: RoomProbe, view: RoomsOracle, room: str) -> tuple[dict, int]:
    """Join `room` (201 judged): the network's room just after, and how many of its messages
    had been said before (the fallback of `RoomsOracle.said_since_join`)."""
    before = view.room(room) or {"name": room, "messages": []}
    heard = len(before.get("messages") or [])
    response = probe.join(room)
    probe.expect_status(Room.ROOM_JOIN_201, response, 201)
    return view.room(room) or before, heard


def _members(view: RoomsOracle, room: str) -> list[dict]:
    return list((view.room(room) or {}).get("members") or [])


@check(
    Room.ROOM_GET_404,
    Room.ROOM_USERS_404,
    Room.ROOM_MESSAGES_404,
    Room.ROOM_LEAVE_404,
    Room.ROOM_SAY_404,
    Room.ROOM_TICKER_404,
    Room.ROOM_MEMBERS_404,
    Room.ROOM_JOINED_200,
    Room.DOCGAP_ROOM_JOINED_NAMES,
    kind="probe",
)
def test_a_room_not_joined_is_not_found(probe: RoomProbe) -> None:
    """Reads of a room the target is not in are 404, and so are (where writes to rooms may be
    sent) a leave, a message, a ticker and a member for it; the joined rooms do not name it."""
    room = unknown_room()
    for part, requirement in ((None, Room.ROOM_GET_404), ("users", Room.ROOM_USERS_404)):
        probe.expect_status(requirement, probe.read(room, part), 404)
    probe.expect_status(Room.ROOM_MESSAGES_404, probe.read(room, "messages"), 404)
    listed = probe.call("GET", "rooms", "joined")
    body = json_body(listed)
    probe.check(
        Room.ROOM_JOINED_200,
        listed.status_code == 200 and isinstance(body, list | dict) and room not in body,
        f"{request_line(listed)} answered {listed.status_code} {probe.ctx.body_excerpt(listed)}",
    )
    probe.check(
        Room.DOCGAP_ROOM_JOINED_NAMES,
        not isinstance(body, list),
        f"{request_line(listed)} answered an array of names, where the docs give Dict[str, Dict[str, Room]]",
    )
    if probe.may_join:
        probe.expect_status(Room.ROOM_LEAVE_404, probe.call("DELETE", "rooms", "joined", room), 404)
        for part, requirement in (
            ("messages", Room.ROOM_SAY_404),
            ("ticker", Room.ROOM_TICKER_404),
            ("members", Room.ROOM_MEMBERS_404),
        ):
            probe.expect_status(requirement, probe.call("POST", "rooms", "joined", room, part, json="x"), 404)
    probe.done()


def _after_chatter(room: dict, me: str) -> tuple[list[str], int]:
    """Who is in the network's `room` once its chatter has played for the target's join, and
    how many messages the chatter says (the script is the room's, `rooms.yaml`)."""
    names = [str(m.get("username")) for m in room.get("members") or []]
    names += [] if me in names else [me]
    says = 0
    for step in room.get("chatter") or []:
        if step.get("act") == "say":
            says += 1
        elif step.get("act") == "join":
            names.append(str(step.get("username")))
        elif step.get("act") == "leave":
            names = [name for name in names if name != step.get("username")]
    return sorted(names), says


def _settle(view: RoomsOracle, room: str, me: str, heard: int, names: list[str], says: int) -> None:
    """Wait (bounded by SETTLE_S) until the network's room has played its chatter for the
    target's join: the members and the count of messages the script ends with."""

    def played(now: tuple[list[str], int]) -> list[str]:
        return [] if now[0] == names and now[1] >= says else ["the chatter still plays"]

    settle(
        lambda: (
            sorted(str(m.get("username")) for m in _members(view, room)),
            len(view.said_since_join(room, me, heard)),
        ),
        played,
    )


@check(
    Room.ROOM_JOIN_201,
    Room.ROOM_JOIN_304,
    Room.DOCGAP_ROOM_JOIN_200,
    Room.ROOM_GET_200,
    Room.ROOM_USERS_200,
    Room.ROOM_MESSAGES_200,
    Room.ROOM_MEMBERSHIP,
    Room.ROOM_CHATTER,
    Room.ROOM_SELF_FLAG,
    Room.ROOM_NAMES_CASE_SENSITIVE,
    Room.ROOM_LEAVE_204,
    kind="probe",
)
def test_a_join_lists_the_members_and_the_chatter_follows(probe: RoomProbe) -> None:
    """A join answers the room with the members the server listed, the target among them, and
    no message; what the other members then do (say, join, leave) reaches the room's messages
    and users in order; a second join changes nothing (304; slskd 200); the name in another
    case is no room joined; a leave is 204, the room then not joined and the target no longer
    among the server's members."""
    view = probe.require_rooms(Need.INCOMING)
    me = probe.me()
    if view.room(LOBBY) is None:
        pytest.skip(f"the network has no room {LOBBY!r}")
    before, _ = settle(  # joined once quiet: the reply's members are then those before the join
        lambda: view.room(LOBBY) or {}, lambda room: ["its chatter plays"] if room.get("chattering") else []
    )
    heard = len(before.get("messages") or [])
    joined = probe.join(LOBBY)
    body = json_body(joined)
    mine = [m for m in (view.room(LOBBY) or {}).get("members") or [] if m.get("username") == me]
    problems = room_problems(body, before) + user_problems(
        (body or {}).get("users") if isinstance(body, dict) else None,
        [*(before.get("members") or []), *mine[:1]],
    )
    if isinstance(body, dict) and body.get("messages") not in ([], None):
        problems.append(f"a room just joined has messages {body.get('messages')!r}"[:200])
    probe.expect_status(Room.ROOM_JOIN_201, joined, 201)
    probe.check(Room.ROOM_JOIN_201, not problems, "; ".join(problems))
    names, says = _after_chatter(before, me)
    _settle(view, LOBBY, me, heard, names, says)
    users, membership = probe.read_until(LOBBY, "users", lambda b: user_problems(b, _members(view, LOBBY)))
    messages, chatter = probe.read_until(
        LOBBY, "messages", lambda b: message_problems(b, view.said_since_join(LOBBY, me, heard), LOBBY)
    )
    read = probe.read(LOBBY)
    problems = room_problems(json_body(read), before)
    probe.check(Room.ROOM_GET_200, read.status_code == 200 and not problems, "; ".join(problems))
    probe.check(Room.ROOM_USERS_200, isinstance(users, list), f"the users of {LOBBY!r} could not be read")
    probe.check(
        Room.ROOM_MESSAGES_200, isinstance(messages, list), f"the messages of {LOBBY!r} could not be read"
    )
    probe.check(Room.ROOM_MEMBERSHIP, not membership, "; ".join(membership))
    probe.check(Room.ROOM_CHATTER, not chatter, "; ".join(chatter))
    flags = self_problems(users, me) + self_problems(messages, me)
    probe.check(Room.ROOM_SELF_FLAG, not flags, "; ".join(flags))
    again = probe.join(LOBBY)
    probe.expect_status(Room.ROOM_JOIN_304, again, 304)
    probe.check(
        Room.DOCGAP_ROOM_JOIN_200,
        again.status_code != 200,
        f"{request_line(again)} of a room already joined answered 200, where the docs list 304",
    )
    _, unchanged = probe.read_until(
        LOBBY, "messages", lambda b: message_problems(b, view.said_since_join(LOBBY, me, heard), LOBBY)
    )
    probe.check(
        Room.ROOM_JOIN_304, not unchanged, "the second join changed the room: " + "; ".join(unchanged)
    )
    folded = LOBBY.upper()
    for part in (None, "users", "messages"):
        probe.expect_status(Room.ROOM_NAMES_CASE_SENSITIVE, probe.read(folded, part), 404)
    probe.expect_status(Room.ROOM_NAMES_CASE_SENSITIVE, probe.call("DELETE", "rooms", "joined", folded), 404)
    left = probe.call("DELETE", "rooms", "joined", LOBBY)
    probe.expect_status(Room.ROOM_LEAVE_204, left, 204)
    still = probe.read(LOBBY)
    listed = probe.joined_names() or []
    member = me in [m.get("username") for m in (view.room(LOBBY) or {}).get("members") or []]
    probe.check(
        Room.ROOM_LEAVE_204,
        still.status_code == 404 and LOBBY not in listed and not member,
        f"after the leave GET answered {still.status_code}, the joined rooms are {listed}, "
        f"the server {'still counts' if member else 'no longer counts'} the target a member",
    )
    probe.done()


@check(Room.ROOM_SAY_201, Room.ROOM_SAY_ECHOED, Room.ROOM_SELF_FLAG, kind="probe")
def test_a_message_said_is_stored_once_as_the_server_echoed_it(probe: RoomProbe) -> None:
    """A message POSTed to a joined room is 201 with no body and shows in its messages once the
    server echoed it, exactly once, exactly as sent, under the target's name, marked self."""
    view = probe.require_rooms()
    me = probe.me()
    _, heard = _joined(probe, view, QUIET)
    sent = probe.call("POST", "rooms", "joined", QUIET, "messages", json=SAID)
    probe.expect_status(Room.ROOM_SAY_201, sent, 201)

    def echoed(messages: object) -> list[str]:
        ours = [m for m in entries(messages) if m.get("message") == SAID]
        once = len(ours) == 1 and ours[0].get("username") == me
        said = view.said_since_join(QUIET, me, heard)
        return message_problems(messages, said, QUIET) or (
            [] if once else [f"the message shows as {ours[:2]}"]
        )

    messages, problems = probe.read_until(QUIET, "messages", echoed)
    probe.check(Room.ROOM_SAY_ECHOED, not problems, "; ".join(problems))
    flags = self_problems(messages, me)
    probe.check(Room.ROOM_SELF_FLAG, not flags, "; ".join(flags))
    probe.done()


@check(Room.ROOM_JOIN_REFUSED, Room.DOCGAP_ROOM_JOIN_REFUSED_500, kind="probe")
def test_a_refused_join_is_an_error_and_tracks_no_room(probe: RoomProbe) -> None:
    """A join the server answers CannotJoinRoom is an error (slskd 500, the 403 its code
    means) and leaves no room joined."""
    view = probe.require_rooms()
    room = _declared(view, "refuses")
    refused = probe.join(room)
    probe.expect_status(Room.ROOM_JOIN_REFUSED, refused, 403, 500)
    read = probe.read(room)
    probe.check(
        Room.ROOM_JOIN_REFUSED,
        read.status_code == 404 and room not in (probe.joined_names() or []),
        f"after the refused join GET of {room!r} answered {read.status_code}",
    )
    probe.check(
        Room.DOCGAP_ROOM_JOIN_REFUSED_500,
        refused.status_code != 500,
        f"{request_line(refused)} of a room the server refuses answered 500, a status its docs do not list",
    )
    probe.done()


@check(Room.ROOM_GET_200, Room.ROOM_TICKER_201, Room.ROOM_MEMBERS_201, kind="probe")
def test_the_private_room_its_ticker_and_a_member_added(probe: RoomProbe) -> None:
    """A private room answers its owner and operators; a ticker set in it is 201 and held by
    the server; a member added is 201 once the server confirmed it."""
    view = probe.require_rooms()
    room = _declared(view, "private")
    after, _ = _joined(probe, view, room)
    read = probe.read(room)
    problems = room_problems(json_body(read), after)
    probe.check(Room.ROOM_GET_200, read.status_code == 200 and not problems, "; ".join(problems))
    ticker = "conformance ticker ✓"
    probe.expect_status(
        Room.ROOM_TICKER_201, probe.call("POST", "rooms", "joined", room, "ticker", json=ticker), 201
    )
    _, unheld = settle(
        lambda: [t.get("ticker") for t in (view.room(room) or {}).get("tickers") or []],
        lambda held: [] if ticker in held else [f"the server holds the tickers {held}"],
    )
    probe.check(Room.ROOM_TICKER_201, not unheld, "; ".join(unheld))
    added = probe.call("POST", "rooms", "joined", room, "members", json="conformance-new-member")
    probe.expect_status(Room.ROOM_MEMBERS_201, added, 201)
    confirmed = (view.room(room) or {}).get("added") or []
    probe.check(Room.ROOM_MEMBERS_201, "conformance-new-member" in confirmed, f"the server added {confirmed}")
    probe.done()


@check(Room.ROOM_AVAILABLE_200, Room.ROOM_AVAILABLE_LISTED, kind="probe")
def test_the_server_room_list_is_listed_as_the_server_sent_it(probe: RoomProbe) -> None:
    """GET rooms/available asks the server; every room of its list is listed once with its
    user count, the private ones flagged isPrivate."""
    view = probe.require_rooms()
    listed = probe.call("GET", "rooms", "available")
    body = json_body(listed)
    probe.check(
        Room.ROOM_AVAILABLE_200,
        listed.status_code == 200 and isinstance(body, list),
        f"{request_line(listed)} answered {listed.status_code} {probe.ctx.body_excerpt(listed)}",
    )
    problems = listing_problems(body, view.rooms())
    probe.check(Room.ROOM_AVAILABLE_LISTED, not problems, "; ".join(problems[:4]))
    probe.done()


@check(Room.ROOM_MESSAGES_KEPT, kind="probe")
def test_a_room_keeps_its_latest_250_messages(probe: RoomProbe) -> None:
    """A room that heard more than 250 messages shows the latest 250, oldest first."""
    view = probe.require_rooms()
    me = probe.me()
    _, heard = _joined(probe, view, QUIET)
    for n in range(MESSAGES_KEPT + 1):
        probe.ctx.call("POST", "rooms", "joined", QUIET, "messages", json=f"message {n}")
    messages, problems = probe.read_until(
        QUIET, "messages", lambda b: message_problems(b, view.said_since_join(QUIET, me, heard), QUIET)
    )
    probe.check(
        Room.ROOM_MESSAGES_KEPT,
        not problems and len(entries(messages)) == MESSAGES_KEPT,
        "; ".join(problems) or f"{len(entries(messages))} messages kept of {MESSAGES_KEPT + 1} said",
    )
    probe.done()

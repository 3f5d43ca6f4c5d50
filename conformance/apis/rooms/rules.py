"""The rooms state machine: what a client of slskd does with rooms, in any order.

Join a room of the network (one with chatter, a quiet one, the private one, the refusing one, or
a room nobody declared, which the join makes), leave one, say something in one, read one's
users and messages; after each step the joined rooms are exactly those joined and not left, and
a room read shows the members the network has in it and every message said in it since the
join, in order, exactly as said (the chatter's effects awaited by polling the API, bounded),
each entry's `self` flag the target's own. The model (`model`) judges every read.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import hypothesis
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule

from conformance.apis.rooms.ids import Room
from conformance.apis.rooms.model import message_problems, self_problems, user_problems
from conformance.apis.rooms.oracle import RoomsOracle, may_join, oracle
from conformance.apis.rooms.probes import SETTLE_S, RoomProbe
from conformance.checks.context import SuiteContext, request_line
from conformance.checks.failures import failure_for
from conformance.checks.probes import unknown_user
from conformance.requirements.registry import check

CHECK = "stateful"
EXAMPLES_DIVISOR, MIN_EXAMPLES, STEPS = 2, 5, 10  # half the run's examples, 10 steps each
TEXTS = st.one_of(
    st.sampled_from(["hello", 'ünïcode, "quotes" and a \\ too', "  spaced  ", "a\ttab"]),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=12),
)


def machine_settings(base: hypothesis.settings) -> hypothesis.settings:
    """Rooms answer in a step or two: half the run's examples (at least 5), 10 steps each."""
    return hypothesis.settings(
        base,
        max_examples=max(MIN_EXAMPLES, base.max_examples // EXAMPLES_DIVISOR),
        stateful_step_count=STEPS,
        report_multiple_bugs=False,
    )


def room_pool(view: RoomsOracle | None) -> list[str]:
    """The network's rooms, and one no room has (the join makes it)."""
    if view is None:
        return []
    return [str(room["name"]) for room in view.rooms()] + [f"conformance-made-{unknown_user()}"]


class Rooms(RuleBasedStateMachine):
    """Rooms joined, left, talked in and read; `rooms_machine` binds it."""

    ctx: SuiteContext
    tolerated: frozenset[str]
    pool: list[str]

    def __init__(self) -> None:
        super().__init__()
        self.probe = RoomProbe(self.ctx)
        self.view = oracle(self.ctx)
        assert self.view is not None, "the machine runs only with a view of the network's rooms"
        self.me = self.probe.me()
        self.refusing = set(self.view.rooms_where("refuses"))
        self.joined: dict[str, int] = {}  # room → how many messages it had heard before the join

    def expect(self, requirement: str, ok: bool, message: str = "") -> None:
        """Record a verdict; a defect not tolerated fails the example (recorded when first met)."""
        tolerated = requirement in self.tolerated
        defect = self.ctx.judge.verdict(requirement, ok, message, check=CHECK, recorded=ok or not tolerated)
        if defect and not tolerated:
            raise failure_for(requirement)(f"{requirement}: {message}")

    def expect_status(self, requirement: str, response: Any, *expected: int) -> None:
        status = response.status_code
        self.expect(
            requirement,
            status in expected or self.ctx.judge.accepts(requirement, status),
            f"{request_line(response)} answered {status}, expected " + " or ".join(map(str, expected)),
        )

    def target(self, pick: int) -> str:
        """A joined room mostly: each joined room, and one room of the pool not joined (404s)."""
        outside = [room for room in self.pool if room not in self.joined][:1]
        choices = sorted(self.joined) + outside
        return choices[pick % len(choices)]

    def said_since(self, room: str) -> list[dict[str, Any]]:
        assert self.view is not None
        return self.view.said_since_join(room, self.me, self.joined[room])

    # --- steps ---------------------------------------------------------------------------------
    @rule(pick=st.integers(min_value=0, max_value=10_000))
    @check(Room.ROOM_JOIN_201, Room.ROOM_JOIN_304, Room.ROOM_JOIN_REFUSED, kind=CHECK)
    def join(self, pick: int) -> None:
        """Join a room: 201 when new, 304 (slskd 200) when joined already, an error when refused."""
        assert self.view is not None
        room = self.pool[pick % len(self.pool)]
        heard = len((self.view.room(room) or {}).get("messages") or [])
        response = self.probe.join(room)
        if room in self.refusing:
            self.expect_status(Room.ROOM_JOIN_REFUSED, response, 403, 500)
        elif room in self.joined:
            self.expect_status(Room.ROOM_JOIN_304, response, 304)
        else:
            self.expect_status(Room.ROOM_JOIN_201, response, 201)
            self.joined[room] = heard
        self.after_step()

    @rule(pick=st.integers(min_value=0, max_value=10_000))
    @check(Room.ROOM_LEAVE_204, Room.ROOM_LEAVE_404, kind=CHECK)
    def leave(self, pick: int) -> None:
        """Leave a room: 204 when joined, 404 when not."""
        room = self.target(pick)
        response = self.probe.call("DELETE", "rooms", "joined", room)
        if room in self.joined:
            self.expect_status(Room.ROOM_LEAVE_204, response, 204)
            del self.joined[room]
        else:
            self.expect_status(Room.ROOM_LEAVE_404, response, 404)
        self.after_step()

    @rule(pick=st.integers(min_value=0, max_value=10_000), text=TEXTS)
    @check(Room.ROOM_SAY_201, Room.ROOM_SAY_404, kind=CHECK)
    def say(self, pick: int, text: str) -> None:
        """Say something in a room: 201 when joined (stored once echoed), 404 when not."""
        room = self.target(pick)
        response = self.probe.call("POST", "rooms", "joined", room, "messages", json=text)
        if room in self.joined:
            self.expect_status(Room.ROOM_SAY_201, response, 201)
        else:
            self.expect_status(Room.ROOM_SAY_404, response, 404)
        self.after_step()

    @rule(pick=st.integers(min_value=0, max_value=10_000))
    @check(Room.ROOM_MESSAGES_404, Room.ROOM_USERS_404, kind=CHECK)
    def outside(self, pick: int) -> None:
        """Read a room of the pool the target is not in: its users and messages are 404."""
        outside = [room for room in self.pool if room not in self.joined]
        if not outside:
            return
        room = outside[pick % len(outside)]
        self.expect_status(Room.ROOM_USERS_404, self.probe.read(room, "users"), 404)
        self.expect_status(Room.ROOM_MESSAGES_404, self.probe.read(room, "messages"), 404)

    # --- after every step --------------------------------------------------------------------
    def after_step(self) -> None:
        self.check_joined()
        for room in sorted(self.joined):
            self.check_room(room)

    def patience(self, *requirements: str) -> float:
        """How long a read waits for the room to come right: not at all once every requirement it
        judges is a defect already found (a faulty server is not waited for again and again)."""
        return 0.0 if set(requirements) <= self.tolerated else SETTLE_S

    @check(Room.ROOM_MEMBERSHIP, Room.ROOM_CHATTER, Room.ROOM_SAY_ECHOED, Room.ROOM_SELF_FLAG, kind=CHECK)
    def check_room(self, room: str) -> None:
        """A joined room's users are the network's members and its messages every message said
        since the join, in order (awaited: the network's own time passes)."""
        assert self.view is not None
        view = self.view
        since = self.said_since(room)
        ours = sum(1 for m in since if m.get("username") == self.me)
        requirement = Room.ROOM_CHATTER if ours < len(since) else Room.ROOM_SAY_ECHOED
        messages, problems = self.probe.read_until(
            room,
            "messages",
            lambda b: message_problems(b, self.said_since(room), room),
            self.patience(requirement),
        )
        self.expect(requirement, not problems, "; ".join(problems))
        users, membership = self.probe.read_until(
            room,
            "users",
            lambda b: user_problems(b, (view.room(room) or {}).get("members") or []),
            self.patience(Room.ROOM_MEMBERSHIP),
        )
        self.expect(Room.ROOM_MEMBERSHIP, not membership, "; ".join(membership))
        flags = self_problems(users, self.me) + self_problems(messages, self.me)
        self.expect(Room.ROOM_SELF_FLAG, not flags, "; ".join(flags))

    @check(Room.ROOM_JOINED_200, kind=CHECK)
    def check_joined(self) -> None:
        """The joined rooms of the pool are exactly those joined and not left."""
        names = self.probe.joined_names()
        listed = sorted(name for name in names or [] if name in self.pool)
        self.expect(
            Room.ROOM_JOINED_200,
            names is not None and listed == sorted(self.joined),
            f"GET /rooms/joined lists {listed} of this example's rooms; it joined {sorted(self.joined)}",
        )

    def teardown(self) -> None:
        for room in list(self.joined):
            self.probe.ctx.call("DELETE", "rooms", "joined", room)
        self.probe.entered.clear()


def rooms_machine(ctx: SuiteContext, tolerated: Iterable[str] = ()) -> type[Rooms]:
    """The rules bound to this target's rooms and the requirements tolerated now (no room:
    rooms may not be joined here, or nothing shows the network's rooms)."""
    pool = room_pool(oracle(ctx)) if may_join(ctx) else []
    return type("Rooms", (Rooms,), {"ctx": ctx, "tolerated": frozenset(tolerated), "pool": pool})

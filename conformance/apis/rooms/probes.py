"""Rooms' probe: the calls its probes make, each answer judged per response.

The engine's `Probe` asks and judges; this one knows the API's routes (so every answer is
checked under its operation's label), joins rooms and reads one until a condition holds (what
other members do reaches slskd in its own time: the chatter's effects are awaited by polling
the API, bounded), and leaves every room it joined when it is done, so a run leaves the
target's rooms as it found them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
import requests

from conformance.apis.rooms import CONSENT
from conformance.apis.rooms.oracle import RoomsOracle, oracle
from conformance.checks.probes import Probe, unknown_user
from conformance.checks.responses import json_body
from conformance.requirements.catalogue import Need

POLLS = (0.02, 0.05, 0.1)  # the pauses between reads, the last one repeated
SETTLE_S = 3.0  # how long a room's chatter may take to reach the target (a few steps of 0.02 s)
ROOM_PARTS = ("users", "messages", "ticker", "members")
T = TypeVar("T")


def operation_label(method: str, segments: tuple[str | int, ...]) -> str | None:
    """The spec's label of a rooms route, from the concrete segments (None: not one)."""
    if len(segments) < 2 or segments[0] != "rooms":
        return None
    if segments[1] == "available" and len(segments) == 2:
        return f"{method} /rooms/available"
    if segments[1] != "joined" or len(segments) > 4:
        return None
    label = f"{method} /rooms/joined"
    if len(segments) >= 3:
        label += "/{roomName}"
    if len(segments) == 4:
        if segments[3] not in ROOM_PARTS:
            return None
        label += f"/{segments[3]}"
    return label


def settle(
    read: Callable[[], T], problems: Callable[[T], list[str]], within: float = SETTLE_S
) -> tuple[T, list[str]]:
    """Read until `problems(value)` finds none or `within` seconds passed (a value None stops at
    once): the last value read with the problems found in it then. The verdict is the one of
    that moment, never of a later view of the network, which may have moved on since: the
    network and the target each answer in their own time."""
    deadline = time.monotonic() + within
    pauses = iter(POLLS)
    while True:
        value = read()
        found = problems(value)
        if value is None or not found or time.monotonic() >= deadline:
            return value, found
        time.sleep(min(next(pauses, POLLS[-1]), max(0.0, deadline - time.monotonic())))


def unknown_room() -> str:
    """A room name no room of the target has (reads, and writes that must be refused, only)."""
    return f"conformance-{unknown_user()}"


class RoomProbe(Probe):
    """A `Probe` that speaks Rooms; every room it joins it leaves at the end (`done`)."""

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self.entered: list[str] = []  # rooms joined, to leave at the end

    def operation(self, method: str, segments: tuple[str | int, ...]) -> str | None:
        return operation_label(method, segments)

    # --- what this target allows ------------------------------------------------------------
    @property
    def may_join(self) -> bool:
        """Joining and talking reach every member of a real room: the full profile and the
        run's consent (the embedded server, a target proven on the simulated network, or
        `--allow-rooms`)."""
        return self.ctx.can_write and self.ctx.writable_users is None and self.ctx.may_reach_peers(CONSENT)

    def require_rooms(self, need: Need = Need.OUTGOING) -> RoomsOracle:
        """Skip, naming why, unless this run may join rooms, the target shows `need` and the
        network's rooms can be read; the network's view of them."""
        if not self.may_join:
            pytest.skip(
                f"needs the full profile and consent to rooms: give --allow-{CONSENT} or --network-control"
            )
        self.require(need)
        view = oracle(self.ctx)
        if view is None:
            pytest.skip("no view of the network's rooms (embedded server or --network-control)")
        return view

    def me(self) -> str:
        """The target's own Soulseek username: what its `self` entries must carry."""
        network = self.ctx.network
        if network is not None and network.simulated is not None:
            return str(network.simulated.username)
        for path in (("application",), ("server",)):
            body = json_body(self.ctx.call("GET", *path))
            user = body.get("user") if isinstance(body, dict) else None
            name = (user or {}).get("username") if isinstance(user, dict) else None
            name = name or (body.get("username") if isinstance(body, dict) else None)
            if isinstance(name, str) and name:
                return name
        pytest.skip("the target does not say which Soulseek user it is logged in as")

    # --- calls ---------------------------------------------------------------------------------
    def join(self, room: str) -> requests.Response:
        """POST the room's name; a room joined is left at the end."""
        response = self.call("POST", "rooms", "joined", json=room)
        if response.status_code in (200, 201, 304):
            self.entered.append(room)
        return response

    def read(self, room: str, part: str | None = None) -> requests.Response:
        return self.call("GET", "rooms", "joined", room, *(() if part is None else (part,)))

    def read_until(
        self, room: str, part: str, problems: Callable[[Any], list[str]], within: float = SETTLE_S
    ) -> tuple[Any, list[str]]:
        """Read a room's users or messages until `problems(body)` finds none or `within` seconds
        passed (`settle`); the body None when the room could not be read."""

        def body() -> Any:
            response = self.read(room, part)
            return json_body(response) if response.status_code == 200 else None

        return settle(body, problems, within)

    def joined_names(self) -> list[str] | None:
        """The joined rooms' names, from either reading of GET /rooms/joined (None: neither)."""
        body = json_body(self.call("GET", "rooms", "joined"))
        if isinstance(body, list) and all(isinstance(name, str) for name in body):
            return list(body)
        if isinstance(body, dict):
            return list(body)
        return None

    # --- the end of a probe -------------------------------------------------------------------------
    def tidy(self) -> None:
        """Leave every room this probe joined, unjudged: the target's rooms are as it found them."""
        mine = list(dict.fromkeys(self.entered))
        self.entered.clear()
        try:
            for room in mine:
                self.ctx.call("DELETE", "rooms", "joined", room)
        except requests.RequestException:
            pass

    def done(self) -> None:
        self.tidy()
        super().done()

"""What the network knows happened in its rooms, read from the run's network handle.

The embedded server's simulated network (`rooms_view()`) and the control API of the
`conformance network` a live target is proven on (`GET /rooms`) show the same JSON: each room
with its members now, its chatter, whether it refuses joins or is private (owner, operators),
every message said in it in order (`{username, message}`) and, for each client in it, how many
were said before it came in (`joinedAfter`), the tickers set and the members added; this view
reads it the same way from either, so a room is judged alike on both targets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from conformance.apis.rooms import CONSENT
from conformance.checks.context import NetworkHandle, SuiteContext


@dataclass(frozen=True)
class RoomsOracle:
    handle: NetworkHandle

    def rooms(self) -> list[dict[str, Any]]:
        """Every room of the network, as it is now."""
        if self.handle.simulated is not None:
            return list(self.handle.simulated.rooms_view() or [])
        return list(self.handle.control.rooms())

    def room(self, name: str) -> dict[str, Any] | None:
        """One room by its exact (case-sensitive) name; None when the network has none."""
        return next((room for room in self.rooms() if room.get("name") == name), None)

    def said_since_join(self, name: str, username: str, heard: int) -> list[dict[str, Any]]:
        """The messages said in room `name` since `username` came in: from the network's count
        at the join (`joinedAfter`), or after the first `heard` when the network does not count
        the user in the room (the target says it joined, the network never saw the join)."""
        room = self.room(name) or {}
        start = (room.get("joinedAfter") or {}).get(username, heard)
        return list(room.get("messages") or [])[start:]

    def rooms_where(self, key: str) -> list[str]:
        """The names of the rooms whose `key` (refuses, private) is true, in the network's order."""
        return [str(room["name"]) for room in self.rooms() if room.get(key)]


def oracle(ctx: SuiteContext) -> RoomsOracle | None:
    """The run's view of the network's rooms; None on a target with no simulated network."""
    return None if ctx.network is None else RoomsOracle(ctx.network)


def may_join(ctx: SuiteContext) -> bool:
    """Whether the run may join rooms and talk in them: writes allowed and rooms consented (the
    embedded server and a target proven on the simulated network always are)."""
    return ctx.may_reach_peers(CONSENT)

"""Users' probe: the calls its probes make, each answer judged per response, and the peers to ask.

The engine's `Probe` asks and judges; this one knows the API's routes (so every answer is
checked under its operation's label), which calls reach real people (every one but a browse's
progress: sent only with the run's consent) and the network's peers by kind, read from the
oracle, so that a probe asks a sharing, an away or a dropping peer of whatever library the
network plays.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests

from conformance.apis.users.oracle import CONSENT, oracle
from conformance.checks.probes import Probe
from conformance.peers import browsing
from conformance.peers.library import Answering, Presence, SharingPeer
from conformance.requirements.catalogue import Need

READS = ("browse", "endpoint", "info", "status")

# The kinds of peer the probes ask, each a test of what the oracle lists.
KINDS: dict[str, Callable[[SharingPeer], bool]] = {
    "sharing": lambda p: (
        _answers(p) and bool(browsing.shares(p).locked_directories) and p.picture is not None
    ),
    "empty": lambda p: _answers(p) and not p.files,
    "away": lambda p: _answers(p) and p.presence == Presence.AWAY,
    "offline": lambda p: p.presence == Presence.OFFLINE,
    "slow": lambda p: p.online and p.requests == Answering.SLOW,
    "drops": lambda p: p.online and p.requests == Answering.DROPS,
}


def _answers(peer: SharingPeer) -> bool:
    return peer.online and peer.requests == Answering.ANSWERS


def operation_label(method: str, segments: tuple[str | int, ...]) -> str | None:
    """The spec's label of a users route, from the concrete segments (None: not one)."""
    if len(segments) < 3 or segments[0] != "users":
        return None
    rest = "/".join(str(segment) for segment in segments[2:])
    if (method, rest) in {("GET", "browse/status"), ("POST", "directory")} or (
        method == "GET" and rest in READS
    ):
        return f"{method} /users/{{username}}/{rest}"
    return None


class UsersProbe(Probe):
    """A `Probe` that speaks Users; it asks only where the run may reach the network's users."""

    def operation(self, method: str, segments: tuple[str | int, ...]) -> str | None:
        return operation_label(method, segments)

    # --- what this target allows ------------------------------------------------------------
    def require_asking(self, need: Need = Need.NOTHING, *, post: bool = False) -> None:
        """Skip, naming why, unless this run may ask users about themselves (the embedded
        server, a target proven on the simulated network, or `--allow-users`; a folder's
        contents is a POST: writes allowed too) and the target shows `need`."""
        if CONSENT not in self.ctx.consented:
            pytest.skip(f"asks real users' clients: give --allow-{CONSENT} or --network-control")
        if post and not self.ctx.can_write:
            pytest.skip("the read-only profile sends no POST /users/{username}/directory")
        self.require(need)

    def peers(self) -> dict[str, SharingPeer]:
        """Every sharing peer of the network by username; skip when there is no oracle."""
        known = oracle(self.ctx)
        if known is None:
            pytest.skip("no oracle of the network's users (embedded server or --network-control)")
        return known.peers()

    def endpoint_of(self, username: str) -> tuple[str, int] | None:
        """The address the network says `username` listens on (None: it does not say)."""
        known = oracle(self.ctx)
        return None if known is None else known.endpoints().get(username)

    def peer(self, kind: str) -> SharingPeer:
        """The network's first peer of `kind` (KINDS); skip when it has none."""
        found = next((p for p in self.peers().values() if KINDS[kind](p)), None)
        if found is None:
            pytest.skip(f"the network has no {kind} peer")
        return found

    # --- calls ---------------------------------------------------------------------------------
    def read(self, username: str, what: str) -> requests.Response:
        """GET /users/{username}/<what>: browse, browse/status, endpoint, info or status."""
        return self.call("GET", "users", username, *what.split("/"))

    def directory(self, username: str, body: Any) -> requests.Response:
        """POST /users/{username}/directory with `body` (a DirectoryContentsRequest, or not)."""
        return self.call("POST", "users", username, "directory", json=body)

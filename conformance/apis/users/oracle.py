"""Who the network's users are and what they share, read from the run's network handle.

The embedded server's simulated network (`peers_view()`) and the control API of the
`conformance network` a live target is proven on (`GET /peers`) list the sharing peers alike:
each with its presence, its profile and its shares as slskd's File JSON. This view rebuilds them
into `SharingPeer`s, so that the model judges slskd's answers with the very functions the
network answers from (`conformance.peers.browsing`), on either target.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from conformance.checks.context import NetworkHandle, SuiteContext
from conformance.peers.library import (
    ATTRIBUTE_FIELDS,
    Answering,
    Behaviour,
    Presence,
    SharedFile,
    SharingPeer,
)

LOOPBACK = "127.0.0.1"  # where every simulated peer listens, on the network and in process
CONSENT = "users"  # `--allow-users`: the consent asking a live target's users about themselves needs
FIELD_ATTRIBUTES = {field: kind for kind, field in ATTRIBUTE_FIELDS.items()}


@dataclass(frozen=True)
class UsersOracle:
    handle: NetworkHandle

    def peers(self) -> dict[str, SharingPeer]:
        """The network's sharing peers by username, rebuilt from its view of them."""
        return {
            peer.username: peer for entry in self._entries() if (peer := peer_from_json(entry)) is not None
        }

    def endpoints(self) -> dict[str, tuple[str, int]]:
        """The address each sharing peer listens on (every simulated peer listens on loopback)."""
        return {
            entry["username"]: (LOOPBACK, entry["port"])
            for entry in self._entries()
            if isinstance(entry.get("port"), int)
        }

    def _entries(self) -> list[dict[str, Any]]:
        if self.handle.simulated is not None:
            return list(self.handle.simulated.peers_view())
        return self.handle.control.peers()


def peer_from_json(entry: dict[str, Any]) -> SharingPeer | None:
    """The sharing peer a `GET /peers` entry shows (None for an echo peer, which shares nothing
    and has no profile)."""
    if entry.get("kind", "sharing") != "sharing" or "shares" not in entry:
        return None
    presence = Presence(
        entry.get("presence", Presence.ONLINE if entry.get("online", True) else Presence.OFFLINE)
    )
    picture = entry.get("picture")
    return SharingPeer(
        username=entry["username"],
        behaviour=Behaviour(entry.get("behaviour", Behaviour.ANSWERS)),
        files=tuple(file_from_json(file) for file in entry["shares"]),
        upload_speed=int(entry.get("uploadSpeed", 0)),
        queue_length=int(entry.get("queueLength", 0)),
        free_slot=bool(entry.get("freeSlot", True)),
        delay_s=float(entry.get("delayS", 0.0)),
        online=presence != Presence.OFFLINE,
        away=presence == Presence.AWAY,
        description=str(entry.get("description", "")),
        picture=None if picture is None else base64.b64decode(picture),
        upload_slots=int(entry.get("uploadSlots", 1)),
        requests=Answering(entry.get("requests", Answering.ANSWERS)),
    )


def file_from_json(body: dict[str, Any]) -> SharedFile:
    """A shared file from slskd's File JSON: its attributes in the order the fields carry them."""
    attributes = tuple(
        (int(FIELD_ATTRIBUTES[key]), int(value)) for key, value in body.items() if key in FIELD_ATTRIBUTES
    )
    return SharedFile(body["filename"], int(body["size"]), attributes, bool(body.get("isLocked", False)))


def oracle(ctx: SuiteContext) -> UsersOracle | None:
    """The run's view of the network's users; None on a target with no simulated network."""
    return None if ctx.network is None else UsersOracle(ctx.network)

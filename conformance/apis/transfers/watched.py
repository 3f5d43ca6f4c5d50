"""The downloads a Transfers probe follows, and the simulated peers it picks them from.

Shared by the probes that download from each kind of peer (`suite/test_transfer_downloads.py`)
and those that judge the limits and removals around a download (`suite/test_transfer_limits.py`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from conformance.apis.transfers.model import OUTCOMES
from conformance.apis.transfers.oracle import TransferOracle


@dataclass
class Watched:
    """One download the probe follows: from whom, which file, how the peer uploads, every read."""

    username: str
    filename: str
    size: int
    upload: str
    posted: float
    id: str | None = None
    reads: list[dict[str, Any]] = field(default_factory=list)
    place: int | None = None  # the place the peer gives in its queue (GET /peers `place`)
    cancelled: bool = False
    positioned: bool = False
    ended: bool = False


def uploaders(
    network: TransferOracle, *, each_way: bool = True, ways: Iterable[str] = tuple(OUTCOMES)
) -> list[Watched]:
    """One file (its smallest) of each online sharing peer that uploads in one of `ways` (only
    the first peer of each way, with `each_way`), the queueing ones last: they are read at once
    after their enqueue, while they wait."""
    chosen: list[Watched] = []
    for peer in network.peers():
        upload, shares = peer.get("upload"), [f for f in peer.get("shares") or [] if isinstance(f, dict)]
        known = upload in ways and not (each_way and upload in {w.upload for w in chosen})
        if known and peer.get("online", True) and shares:
            smallest = min(shares, key=lambda f: int(f.get("size") or 0))
            chosen.append(
                Watched(
                    str(peer["username"]),
                    str(smallest["filename"]),
                    int(smallest.get("size") or 0),
                    str(upload),
                    0.0,
                    place=peer.get("place") if isinstance(peer.get("place"), int) else None,
                )
            )
    return sorted(chosen, key=lambda w: w.upload == "queues")

"""A download's steps as Soulseek.NET reports them: what every network tells the Transfers emulation."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple


class Step(NamedTuple):
    """One thing that happened to a download attempt on the network, as Soulseek.NET reports it.

    `kind`: "requested" (TransferRequest(0) sent), "queued" (the peer said Queued, or let the
    download skip its queue; `place` when it told one), "initializing" (the peer's
    TransferRequest(1) accepted or the immediate path taken; `size` the size it announced),
    "started" (the F connection is open and the offset sent), "data" (`data`: bytes that arrived),
    "ended" (`outcome`: Succeeded, Rejected, Aborted, Errored or TimedOut; `exception` its text)."""

    kind: str
    place: int | None = None
    size: int | None = None
    token: int | None = None  # "initializing": the peer's own upload token (None on the immediate path)
    offset: int = 0
    data: bytes = b""
    outcome: str | None = None
    exception: str | None = None


# Where a download's steps go: called from a network thread, in order, ending with one "ended".
DownloadProgress = Callable[[Step], None]

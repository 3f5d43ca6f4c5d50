"""What the network knows about every download request a sharing peer received.

The checker's oracle for Transfers, as `record.SearchLog` is for Searches: the simulated
network's control API serves it (`GET /transfers`) and the reference server's in-process
simulation keeps one in the same shape, so a check compares what a server reports about a
download with what crossed the network the same way on both. One entry per download request
(TransferRequest, direction 0) received: each retry of a download is a new entry.

    [{"peer": username, "downloader": username, "filename": str, "token": int|null,
      "received_at": unix seconds, "answer": "queued|allowed|refused|none",
      "reason": "Queued|File not shared.|null", "place": int|null, "denied": "Banned|null",
      "failed": bool, "upload_token": int|null, "announced_size": int|null, "size": int|null,
      "offset": int|null, "bytes_sent": int, "complete": bool, "sha256": hex|null,
      "ended_at": unix seconds|null}]

`size` is the file's true size (null for a file the peer does not share); `sha256` is that of
the bytes sent (from `offset`), set when the F connection ends.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

FIELDS = (
    "answer",
    "reason",
    "place",
    "denied",
    "failed",
    "upload_token",
    "announced_size",
    "size",
    "offset",
    "bytes_sent",
    "complete",
    "sha256",
    "ended_at",
)


class TransferLog:
    """Download requests received and what each became, in order; safe to use from any thread."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: list[dict[str, Any]] = []

    def requested(self, peer: str, downloader: str, filename: str, token: int | None) -> int:
        """Record a download request `peer` received; its index, for `update`. `token` is None
        for a QueueDownload (Nicotine+'s and aioslsk's form, which carries none)."""
        entry: dict[str, Any] = {
            "peer": peer,
            "downloader": downloader,
            "filename": filename,
            "token": token,
            "received_at": self._clock(),
            "answer": "none",
            "reason": None,
            "place": None,
            "denied": None,
            "failed": False,
            "upload_token": None,
            "announced_size": None,
            "size": None,
            "offset": None,
            "bytes_sent": 0,
            "complete": False,
            "sha256": None,
            "ended_at": None,
        }
        with self._lock:
            self._entries.append(entry)
            return len(self._entries) - 1

    def update(self, index: int, **fields: Any) -> None:
        """Set what the request at `index` became; KeyError for a field the log does not keep."""
        unknown = set(fields) - set(FIELDS)
        if unknown:
            raise KeyError(f"a transfer log entry has no {', '.join(sorted(unknown))}")
        with self._lock:
            self._entries[index].update(fields)

    def ended(self, index: int) -> None:
        """Stamp the request's end (its F connection closed, or its answer was final)."""
        self.update(index, ended_at=self._clock())

    def attempts(self, peer: str, downloader: str, filename: str) -> int:
        """How many requests for the file from `downloader` `peer` has received so far."""
        with self._lock:
            return sum(
                1
                for entry in self._entries
                if (entry["peer"], entry["downloader"], entry["filename"]) == (peer, downloader, filename)
            )

    def as_json(self, peer: str | None = None) -> list[dict[str, Any]]:
        """A copy of the log (only `peer`'s requests, when given)."""
        with self._lock:
            return [dict(entry) for entry in self._entries if peer is None or entry["peer"] == peer]

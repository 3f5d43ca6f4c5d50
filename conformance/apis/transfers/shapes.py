"""The Transfers JSON the reference server answers: slskd's Transfer, and the lists grouped by user
and remote directory, with the shape faults of the corpus switched on (`transfer-bytes-short`,
`transfer-percent-fraction`, `transfer-state-*`, `transfer-list-loses-last`,
`transfer-directory-whole-path`), so a mutant differs from the faithful server in its output only.
"""

from __future__ import annotations

from typing import Any

from conformance.apis.transfers.stored import COMPLETED, SUCCEEDED, Transfer, now_micros
from conformance.reference.clock import format_timestamp
from conformance.reference.variants import Representation


class TransferShapes:
    """Renders stored transfers as slskd's JSON (`documented`: with the docs' names beside)."""

    def __init__(self, documented: bool, faults: frozenset[str], representation: Representation) -> None:
        self.documented = documented
        self.faults = faults
        self.representation = representation

    def _timestamp(self, micros: int | None) -> str | None:
        if micros is None:
            return None
        return format_timestamp(
            micros, zone=self.representation.zone, fraction=self.representation.fraction(micros)
        )

    def shape(self, t: Transfer) -> dict[str, Any]:
        """slskd's Transfer; null properties left out, as System.Text.Json is told to."""
        transferred = t.transferred
        elapsed = None
        if t.started_at is not None:
            elapsed = max(((t.ended_at or now_micros()) - t.started_at) / 1000, 0.0)  # milliseconds
        speed = transferred - t.start_offset
        average = speed / (elapsed / 1000) if elapsed else 0.0
        if "transfer-bytes-short" in self.faults and t.text == f"{COMPLETED}, {SUCCEEDED}" and transferred:
            transferred -= 1  # the last chunk's count lost
        remaining = max(t.size - transferred, 0)
        percent = 100.0 * transferred / t.size if t.size else 0.0
        if "transfer-percent-fraction" in self.faults:
            percent /= 100  # a fraction of one, not a percentage
        body: dict[str, Any] = {
            "id": t.id,
            "username": t.username,
            "direction": t.direction,
            "filename": t.filename,
            "size": t.size,
            "startOffset": t.start_offset,
            "state": self._state_text(t),
            "requestedAt": self._timestamp(t.requested_at),
            "enqueuedAt": self._timestamp(t.enqueued_at),
            "startedAt": self._timestamp(t.started_at),
            "endedAt": self._timestamp(t.ended_at),
            "bytesTransferred": transferred,
            "averageSpeed": average,
            "placeInQueue": t.place_in_queue,
            "exception": t.exception,
            "attempts": t.attempts,
            "nextAttemptAt": self._timestamp(t.next_attempt_at),
            "removed": t.removed,
            "bytesRemaining": remaining,
            "elapsedTime": elapsed,
            "percentComplete": percent,
            "remainingTime": 1000 * remaining / average if average and not t.complete else None,  # ms
        }
        if self.documented:  # the docs' names for the same facts (Transfer.md)
            body |= {
                "token": t.token,
                "remoteToken": t.remote_token,
                "startTime": body["startedAt"],
                "endTime": body["endedAt"],
            }
        return {key: value for key, value in body.items() if value is not None}

    def _state_text(self, t: Transfer) -> str:
        text = t.text
        if "transfer-state-separator" in self.faults:
            text = text.replace(", ", " | ")
        if "transfer-state-lowercase" in self.faults:
            text = text.lower()
        return text

    def grouped(self, transfers: list[Transfer]) -> list[dict[str, Any]]:
        """[{username, directories: [{directory, fileCount, files}]}], in the order first seen."""
        if "transfer-list-loses-last" in self.faults and len(transfers) > 1:
            transfers = transfers[:-1]  # an off-by-one in the paging
        users: dict[str, dict[str, list[Transfer]]] = {}
        whole = "transfer-directory-whole-path" in self.faults
        for t in transfers:
            users.setdefault(t.username, {}).setdefault(t.filename if whole else t.directory, []).append(t)
        return [self._user(username, folders) for username, folders in users.items()]

    def _user(self, username: str, folders: dict[str, list[Transfer]]) -> dict[str, Any]:
        return {
            "username": username,
            "directories": [
                {"directory": name, "fileCount": len(files), "files": [self.shape(t) for t in files]}
                for name, files in folders.items()
            ],
        }

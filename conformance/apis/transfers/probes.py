"""Transfers' probe: the calls its probes make, each answer judged per response.

The engine's `Probe` asks and judges; this one knows the API's routes (so every answer is
checked under its operation's label), enqueues downloads, reads one until a condition holds,
and cancels and removes every download it enqueued when it is done, so a run leaves the
target's list as it found it.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import requests

from conformance.apis.transfers.oracle import CONSENT
from conformance.apis.transfers.reading import COMPLETED, parse_state
from conformance.checks.context import SuiteContext
from conformance.checks.probes import Probe
from conformance.checks.responses import an_object, json_body, objects
from conformance.peers.library import SEPARATOR
from conformance.requirements.catalogue import Need

POLLS = (0.02, 0.05, 0.1)  # the pauses between reads, the last one repeated
TIDY_WITHIN_S = 2.0  # how long the end of a probe waits for its cancels to end its downloads
DIRECTIONS = ("downloads", "uploads")


def unknown_id() -> str:
    """A GUID no transfer has."""
    return str(uuid.uuid4())


def operation_label(method: str, segments: tuple[str | int, ...]) -> str | None:
    """The spec's label of a transfers route, from the concrete segments (None: not one)."""
    if len(segments) < 2 or segments[0] != "transfers" or segments[1] not in DIRECTIONS:
        return None
    base = f"/transfers/{segments[1]}"
    rest = segments[2:]
    if not rest:
        return f"{method} {base}"
    if tuple(rest) == ("all", "completed"):
        return f"{method} {base}/all/completed"
    names = ("{username}", "{id}", "position")
    return f"{method} {base}/" + "/".join(names[: len(rest)])


def grouping_problems(users: list[dict[str, Any]]) -> list[str]:
    """Why a list is not users → directories → files grouped by each file's remote directory
    (None when it is): the directory is the filename up to its last `\\`, fileCount its files."""
    problems = []
    for user in users:
        for directory in objects(user.get("directories")):
            files = objects(directory.get("files"))
            name = directory.get("directory")
            if directory.get("fileCount") not in (None, len(files)):
                problems.append(f"{name!r}: fileCount {directory.get('fileCount')} of {len(files)} files")
            for file in files:
                parent = str(file.get("filename")).rpartition(SEPARATOR)[0]
                if parent != name or file.get("username") not in (None, user.get("username")):
                    problems.append(f"{file.get('filename')!r} of {file.get('username')!r} under {name!r}")
    return problems


def listed_files(probe: Probe, *path: str, **params: str) -> list[dict[str, Any]]:
    """The files of a downloads list (all users, or one user's), each with its user."""
    body = json_body(probe.call("GET", "transfers", "downloads", *path, params=params or None))
    users = [body] if isinstance(body, dict) else objects(body)
    return [
        file | {"username": file.get("username", user.get("username"))}
        for user in users
        for directory in objects(user.get("directories"))
        for file in objects(directory.get("files"))
    ]


class TransferProbe(Probe):
    """A `Probe` that speaks Transfers; every download it enqueues it cancels and removes (`done`)."""

    def __init__(self, ctx: SuiteContext) -> None:
        super().__init__(ctx)
        self.enqueued: list[tuple[str, str]] = []  # (username, id), to cancel and remove at the end

    def operation(self, method: str, segments: tuple[str | int, ...]) -> str | None:
        return operation_label(method, segments)

    # --- what this target allows ------------------------------------------------------------
    @property
    def may_change(self) -> bool:
        """DELETEs of transfers: the full profile (no safe-writes shape is about transfers)."""
        return self.ctx.can_write and self.ctx.writable_users is None

    @property
    def may_download(self) -> bool:
        """Enqueueing takes a real user's upload slot: also the run's consent (the embedded
        server, a target proven on the simulated network, or `--allow-transfers`)."""
        return self.may_change and self.ctx.may_reach_peers(CONSENT)

    def require_changes(self) -> None:
        if not self.may_change:
            pytest.skip("needs the full profile: the safe-writes profile sends no transfers' writes")

    def require_downloads(self, need: Need = Need.NOTHING) -> None:
        """Skip, naming why, unless this run may enqueue downloads and the target shows `need`."""
        self.require_changes()
        if not self.may_download:
            pytest.skip(f"needs consent to downloading: give --allow-{CONSENT} or --network-control")
        self.require(need)

    # --- calls ---------------------------------------------------------------------------------
    def enqueue(self, username: str, files: Any) -> requests.Response:
        """POST files to download from `username`; what it enqueued is removed at the end."""
        response = self.call("POST", "transfers", "downloads", username, json=files)
        body = an_object(json_body(response)) or {}
        for item in body.get("enqueued") or []:
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                self.enqueued.append((username, item["id"]))
        return response

    def download(self, username: str, transfer_id: str) -> dict[str, Any] | None:
        """GET one download (None unless 200 with an object)."""
        response = self.call("GET", "transfers", "downloads", username, transfer_id)
        return an_object(json_body(response)) if response.status_code == 200 else None

    def wait_for(
        self, username: str, transfer_id: str, done: Callable[[dict[str, Any]], bool], within: float
    ) -> list[dict[str, Any]]:
        """Read the download until `done(read)` holds or `within` seconds passed: every read."""
        deadline = time.monotonic() + within
        pauses = iter(POLLS)
        reads: list[dict[str, Any]] = []
        while True:
            found = self.download(username, transfer_id)
            if found is not None:
                reads.append(found)
            if found is None or done(found) or time.monotonic() >= deadline:
                return reads
            time.sleep(min(next(pauses, POLLS[-1]), max(0.0, deadline - time.monotonic())))

    # --- the end of a probe -------------------------------------------------------------------------
    def tidy(self) -> None:
        """Cancel every download this probe enqueued, wait (briefly) for the cancels to end them
        (a cancel is asynchronous, and only a completed download can be removed), then remove
        them, unjudged: the target's lists are as the probe found them."""
        mine = list(dict.fromkeys(self.enqueued))
        self.enqueued.clear()
        try:
            for username, transfer_id in mine:
                self.ctx.call("DELETE", "transfers", "downloads", username, transfer_id)
            deadline = time.monotonic() + TIDY_WITHIN_S
            for username, transfer_id in mine:
                while time.monotonic() < deadline:
                    read = self.ctx.call("GET", "transfers", "downloads", username, transfer_id)
                    state = parse_state((an_object(json_body(read)) or {}).get("state"))
                    if read.status_code != 200 or state is None or state[0] == COMPLETED:
                        break  # ended, or in a state no one can read: nothing to wait for
                    time.sleep(POLLS[-1])
                self.ctx.call(
                    "DELETE", "transfers", "downloads", username, transfer_id, params={"remove": "true"}
                )
        except requests.RequestException:
            pass

    def done(self) -> None:
        self.tidy()
        super().done()

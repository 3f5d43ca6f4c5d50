"""The downloads state machine: what a client of slskd does with its downloads, in any order.

Enqueue files the simulated peers share (and one they do not), read them, cancel one that has
not ended, remove one that has, clear every completed one; after each step the list must hold
exactly what the run enqueued and did not remove, each once under its user and remote
directory, and at the end of each example every download is judged by the model
(`model.judge_download`) against what the network says its peer received and sent. What is
judged is only what no race can change: a download that ended while a clear was on its way may
be cleared or not, and one cancelled while it finished may end either way.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import hypothesis
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule

from conformance.apis.transfers.ids import Transfer
from conformance.apis.transfers.model import (
    ATTEMPTS_ALLOWED,
    JUDGED,
    OUTCOMES,
    RETRIED_ENDINGS,
    Download,
    Finding,
    judge_download,
)
from conformance.apis.transfers.oracle import may_download, oracle
from conformance.apis.transfers.probes import TransferProbe, grouping_problems, listed_files
from conformance.apis.transfers.reading import COMPLETED, parse_state
from conformance.checks.context import SuiteContext, request_line
from conformance.checks.failures import failure_for
from conformance.checks.responses import an_object, json_body
from conformance.peers.library import SEPARATOR
from conformance.requirements.registry import check

CHECK = "stateful"
QUICK = ("at-once", "queues", "refuses", "denies", "resizes", "drops")  # peers whose downloads end soon
UNSHARED = f"Shares{SEPARATOR}Conformance Nowhere{SEPARATOR}never shared.flac"  # the peer refuses it
END_WITHIN_S = 5.0  # every download of an example has ended by then
EXAMPLES_DIVISOR, MIN_EXAMPLES, STEPS = 5, 3, 8  # a fifth of the run's examples, 8 steps each


@dataclass
class Followed:
    """One download the machine enqueued: the file, how its peer uploads, every read of it."""

    username: str
    filename: str
    size: int
    upload: str
    posted: float
    reads: list[dict[str, Any]] = field(default_factory=list)
    cancelled: bool = False
    removed: bool = False
    unsure: bool = False  # ended while a clear was on its way: listed or not, both are right

    @property
    def completed(self) -> bool:
        """Last read `Completed, …`, maybe an attempt slskd will retry."""
        state = parse_state(self.reads[-1].get("state")) if self.reads else None
        return state is not None and state[0] == COMPLETED

    @property
    def ended(self) -> bool:
        """Completed for good: not an Errored or TimedOut attempt with attempts left (or in a
        state no one can read: nothing to wait for, its strings are the finding)."""
        if self.reads and parse_state(self.reads[-1].get("state")) is None:
            return True
        if not self.completed:
            return False
        last = self.reads[-1]
        retried = str(last.get("state")).partition(", ")[2] in RETRIED_ENDINGS
        attempts = last.get("attempts")
        return self.cancelled or not retried or (isinstance(attempts, int) and attempts >= ATTEMPTS_ALLOWED)


def uploadable(ctx: SuiteContext) -> list[tuple[str, str, int, str]]:
    """(username, filename, size, upload) of every small file a quick online peer shares, and one
    file each such peer does not share (it refuses it)."""
    network = oracle(ctx)
    files = []
    for peer in network.peers() if network is not None else []:
        upload = peer.get("upload")
        if upload not in QUICK or peer.get("online") is False:
            continue
        shares = [
            f for f in peer.get("shares") or [] if isinstance(f, dict) and int(f.get("size") or 0) < 65536
        ]
        files += [(str(peer["username"]), str(f["filename"]), int(f["size"]), str(upload)) for f in shares]
        if shares:
            files.append((str(peer["username"]), UNSHARED, 1000, "refuses"))
    return files


def machine_settings(base: hypothesis.settings) -> hypothesis.settings:
    """Downloads take the peers' time: a fifth of the run's examples (at least 3), 8 steps each."""
    return hypothesis.settings(
        base,
        max_examples=max(MIN_EXAMPLES, base.max_examples // EXAMPLES_DIVISOR),
        stateful_step_count=STEPS,
        report_multiple_bugs=False,
    )


class Downloads(RuleBasedStateMachine):
    """Downloads enqueued, read, cancelled, removed and cleared; `downloads_machine` binds it."""

    ctx: SuiteContext
    tolerated: frozenset[str]
    files: list[tuple[str, str, int, str]]

    def __init__(self) -> None:
        super().__init__()
        self.probe = TransferProbe(self.ctx)
        self.mine: dict[str, Followed] = {}

    # --- verdicts ----------------------------------------------------------------------------
    def expect(self, requirement: str, ok: bool, message: str = "") -> None:
        """Record a verdict; a defect not tolerated fails the example (recorded when first met)."""
        tolerated = requirement in self.tolerated
        defect = self.ctx.judge.verdict(requirement, ok, message, check=CHECK, recorded=ok or not tolerated)
        if defect and not tolerated:
            raise failure_for(requirement)(f"{requirement}: {message}")

    def settle(self, findings: Iterable[Finding]) -> None:
        for finding in findings:
            self.expect(finding.requirement, finding.ok, finding.message)

    # --- steps ---------------------------------------------------------------------------------
    def read(self, followed: Followed, transfer_id: str) -> None:
        found = self.probe.download(followed.username, transfer_id)
        if found is not None:
            followed.reads.append(found)

    def read_all(self) -> None:
        for transfer_id, followed in self.mine.items():
            if not followed.ended:
                self.read(followed, transfer_id)

    @rule(pick=st.integers(min_value=0, max_value=10_000))
    @check(Transfer.TRANSFER_ENQUEUE_201, Transfer.TRANSFER_LIST_GROUPED, kind="stateful")
    def enqueue(self, pick: int) -> None:
        """Enqueue a file no download of this example is fetching yet."""
        busy = {(f.username, f.filename) for f in self.mine.values() if not f.ended}
        free = [file for file in self.files if file[:2] not in busy]
        if not free:
            return
        username, filename, size, upload = free[pick % len(free)]
        posted = time.time()
        response = self.probe.enqueue(username, [{"filename": filename, "size": size}])
        enqueued = [
            t for t in (an_object(json_body(response)) or {}).get("enqueued") or [] if isinstance(t, dict)
        ]
        self.expect(
            Transfer.TRANSFER_ENQUEUE_201,
            response.status_code == 201 and len(enqueued) == 1,
            f"{request_line(response)} answered {response.status_code} with {len(enqueued)} enqueued",
        )
        if enqueued and isinstance(enqueued[0].get("id"), str):
            self.mine[enqueued[0]["id"]] = Followed(username, filename, size, upload, posted)
        self.check_list()

    @rule(pick=st.integers(min_value=0, max_value=10_000))
    @check(Transfer.TRANSFER_CANCEL_204, Transfer.TRANSFER_LIST_GROUPED, kind="stateful")
    def cancel(self, pick: int) -> None:
        """Cancel a download that has not ended (as last read)."""
        self.read_all()
        running = sorted(i for i, f in self.mine.items() if not f.ended and not f.cancelled)
        if not running:
            return
        transfer_id = running[pick % len(running)]
        followed = self.mine[transfer_id]
        response = self.probe.call("DELETE", "transfers", "downloads", followed.username, transfer_id)
        followed.cancelled = True
        self.expect(
            Transfer.TRANSFER_CANCEL_204,
            response.status_code == 204,
            f"{request_line(response)} of a download not ended answered {response.status_code}",
        )
        self.check_list()

    @rule(pick=st.integers(min_value=0, max_value=10_000))
    @check(Transfer.TRANSFER_CANCEL_REMOVE, Transfer.TRANSFER_LIST_GROUPED, kind="stateful")
    def remove(self, pick: int) -> None:
        """Remove a download that has ended: gone from the lists but for includeRemoved."""
        self.read_all()
        ended = sorted(i for i, f in self.mine.items() if f.ended and not f.removed and not f.unsure)
        if not ended:
            return
        transfer_id = ended[pick % len(ended)]
        followed = self.mine[transfer_id]
        self.probe.call(
            "DELETE", "transfers", "downloads", followed.username, transfer_id, params={"remove": "true"}
        )
        followed.removed = True
        kept = [f for f in listed_files(self.probe, includeRemoved="true") if f.get("id") == transfer_id]
        self.expect(
            Transfer.TRANSFER_CANCEL_REMOVE,
            len(kept) == 1 and kept[0].get("removed") is True,
            f"after DELETE …/{transfer_id}?remove=true includeRemoved shows "
            f"{[k.get('removed') for k in kept]} (removed)",
        )
        self.check_list()

    @rule()
    @check(Transfer.TRANSFER_REMOVE_COMPLETED, Transfer.TRANSFER_LIST_GROUPED, kind="stateful")
    def clear(self) -> None:
        """DELETE all/completed: every download ended before it is removed, none still running."""
        self.read_all()
        before = {i: (f.ended, f.completed) for i, f in self.mine.items()}
        response = self.probe.call("DELETE", "transfers", "downloads", "all", "completed")
        self.read_all()
        for transfer_id, followed in self.mine.items():
            ended, completed = before[transfer_id]
            if ended:
                followed.removed = True
            elif completed or followed.completed:
                followed.unsure = True  # completed (for now, or for good) around the clear
        listed = {f.get("id") for f in listed_files(self.probe)}
        kept = sorted(i for i, f in self.mine.items() if before[i][0] and i in listed)
        lost = sorted(i for i, f in self.mine.items() if not f.unsure and not f.removed and i not in listed)
        self.expect(
            Transfer.TRANSFER_REMOVE_COMPLETED,
            response.status_code == 204 and not kept and not lost,
            f"{request_line(response)} answered {response.status_code}; completed still listed {kept}, "
            f"running ones gone {lost}",
        )
        self.check_list()

    @rule()
    def wait(self) -> None:
        """Let the peers' time pass (a tenth of a second) and read every download."""
        time.sleep(0.1)
        self.read_all()

    # --- after every step --------------------------------------------------------------------
    def check_list(self) -> None:
        """The list holds each download this example enqueued and did not remove, once, under
        its user and remote directory; a removed one not at all."""
        body = json_body(self.probe.call("GET", "transfers", "downloads"))
        problems = grouping_problems(body if isinstance(body, list) else [])
        listed = [f.get("id") for f in listed_files(self.probe)]
        for transfer_id, followed in self.mine.items():
            if followed.unsure:
                continue
            times = listed.count(transfer_id)
            if times != (0 if followed.removed else 1):
                problems.append(f"{followed.username}'s {transfer_id} listed {times} times")
        self.expect(Transfer.TRANSFER_LIST_GROUPED, not problems, "; ".join(problems[:3]))

    def teardown(self) -> None:
        """Every download followed to its end and judged; then cancelled and removed."""
        try:
            deadline = time.monotonic() + END_WITHIN_S
            while time.monotonic() < deadline and not all(f.ended for f in self.mine.values()):
                time.sleep(0.05)
                self.read_all()
            time.sleep(0.2)  # the network's record of an upload may trail the target's read of its end
            network = oracle(self.ctx)
            sent = network.transfers() if network is not None else []
            for followed in self.mine.values():
                if not followed.reads:
                    continue
                # the file's requests from this download's enqueue until the next download of it
                until = min(
                    (
                        other.posted
                        for other in self.mine.values()
                        if (other.username, other.filename) == (followed.username, followed.filename)
                        and other.posted > followed.posted
                    ),
                    default=float("inf"),
                )
                mine = [
                    e
                    for e in sent
                    if e.get("peer") == followed.username
                    and e.get("filename") == followed.filename
                    and followed.posted <= float(e.get("received_at") or 0.0) < until
                ]
                self.judge(followed, mine)
        finally:
            self.probe.tidy()

    @check(*JUDGED, kind="stateful")
    def judge(self, followed: Followed, sent: list[dict[str, Any]]) -> None:
        """The model's verdicts on one download. A cancelled one may also have ended as its peer
        made it (the cancel raced its end): then only its path and strings are judged."""
        ending = str(followed.reads[-1].get("state"))
        raced = followed.cancelled and ending == f"{COMPLETED}, {OUTCOMES[followed.upload].ending}"
        download = Download(
            followed.filename,
            followed.size,
            followed.upload,
            followed.reads,
            sent,
            cancelled=followed.cancelled and not raced,
        )
        findings = judge_download(download)
        if raced:
            findings = [f for f in findings if f.requirement in RACE_FREE]
        self.settle(findings)


RACE_FREE = (Transfer.TRANSFER_STATE_STRINGS, Transfer.TRANSFER_STATE_PATH)


def downloads_machine(ctx: SuiteContext, tolerated: Iterable[str] = ()) -> type[Downloads]:
    """The rules bound to this target's peers and the requirements tolerated now."""
    files = uploadable(ctx) if may_download(ctx) else []
    return type("Downloads", (Downloads,), {"ctx": ctx, "tolerated": frozenset(tolerated), "files": files})

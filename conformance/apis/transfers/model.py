"""A model of slskd's download: what a peer's way of uploading implies, and how a download the
checker watched is judged against what the network says it sent.

Pure Python, no HTTP. A download is judged once it has ended, from every read of it the checker
made (oldest first) and the oracle: each TransferRequest the sharing peer received for the file
from the target, with what it answered and sent (the network's `TransferLog`, contract §1). The
rules, each one sentence of slskd's behaviour (shared/soulseek/peers-and-apis.md §1.4, §3.2.3):

- a download's state is one of slskd's strings, and within one attempt it only moves forward
  (`Queued, Locally` → `Requested` → `Queued, Remotely` → `Initializing` → `InProgress` →
  `Completed, <ending>`); a retry starts again at `Queued, Locally` with `attempts` grown;
- it ends as the peer's behaviour implies: sent whole → `Succeeded`; refused or denied →
  `Rejected`; failed on every attempt → `Errored`; a size other than the one asked for →
  `Aborted`; cancelled by the checker → `Cancelled`;
- only `Errored` and `TimedOut` attempts are retried, at most `attempts_allowed` in all, and a
  retry resumes at the byte the last attempt reached (slskd's default resume strategy);
- a succeeded download shows the file's size, every byte transferred, 100 percent, and the
  network's last upload of it reached the file's end (that what it sends is the file's bytes
  is the network's own promise, held by its tests and by clients we did not write).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from conformance.apis.transfers.reading import (
    COMPLETED,
    QUEUED_LOCALLY,
    QUEUED_REMOTELY,
    STAGES,
    number,
    parse_state,
)

# The requirements the model judges (the catalogue's ids)
STATE_STRINGS = "TRANSFER-STATE-STRINGS"
STATE_PATH = "TRANSFER-STATE-PATH"
SUCCEEDED_BYTES = "TRANSFER-SUCCEEDED-BYTES"
RESUMED = "TRANSFER-RESUMED"
RETRIED = "TRANSFER-RETRIED"
ENQUEUED_AT = "TRANSFER-ENQUEUED-AT"
# … and the ending a behaviour implies, by the requirement that promises it
ENDING_REQUIREMENTS = {
    "Succeeded": SUCCEEDED_BYTES,
    "Rejected": "TRANSFER-REJECTED",
    "Aborted": "TRANSFER-ABORTED-SIZE",
    "Errored": RETRIED,
    "TimedOut": RETRIED,
    "Cancelled": "TRANSFER-CANCEL-STATE",
}

# Every requirement `judge_download` judges: what a check that runs it verifies
JUDGED = tuple(
    dict.fromkeys((STATE_STRINGS, STATE_PATH, *ENDING_REQUIREMENTS.values(), RESUMED, ENQUEUED_AT))
)

ATTEMPTS_ALLOWED = 3  # slskd's transfers.download.retry.attempts default
RETRIED_ENDINGS = frozenset({"Errored", "TimedOut"})


@dataclass(frozen=True)
class Finding:
    """One verdict the model reaches: which requirement, whether it held, and why not."""

    requirement: str
    ok: bool
    message: str = ""


class Outcome(NamedTuple):
    """What a peer's way of uploading makes of a download: its ending, and how many
    TransferRequests the peer receives for it (None: as many as the retries allow)."""

    ending: str
    requests: int | None


# The peer's `upload` behaviour (`conformance.peers.uploads.Upload`, as the network's GET /peers
# shows it) → the outcome. A silent peer's download times out after slskd's 15 s, retried: the
# checker cancels it instead.
OUTCOMES = {
    "at-once": Outcome("Succeeded", 1),
    "queues": Outcome("Succeeded", 1),
    "refuses": Outcome("Rejected", 1),
    "denies": Outcome("Rejected", 1),
    "fails": Outcome("Errored", None),
    "drops": Outcome("Succeeded", None),  # dropped once per file in the peer's life: 2 requests, then 1
    "resizes": Outcome("Aborted", 1),
    "silent": Outcome("TimedOut", None),
}


def outcome(upload: str, *, cancelled: bool = False) -> Outcome:
    """The outcome of a download from a peer that uploads as `upload` (`cancelled`: the checker
    cancelled it while it waited on the peer)."""
    if cancelled:
        return Outcome("Cancelled", None)
    return OUTCOMES[upload]


@dataclass
class Download:
    """One download as the checker saw it end: the file the peer shares, how the peer uploads,
    every read of the transfer, and what the network says it carried for it."""

    filename: str
    size: int  # the file's size as the peer shares it
    upload: str
    polled: list[dict[str, Any]]  # GET …/{id}, oldest first; the last one is its end
    sent: list[dict[str, Any]] = field(default_factory=list)  # TransferLog entries, oldest first
    cancelled: bool = False
    attempts_allowed: int = ATTEMPTS_ALLOWED

    @property
    def last(self) -> dict[str, Any]:
        return self.polled[-1] if self.polled else {}


def judge_states(polled: list[dict[str, Any]]) -> list[Finding]:
    """slskd's strings, and forward only within an attempt: a step back is a retry, which
    starts at `Queued, Locally` with `attempts` grown; a last ending never changes."""
    findings: list[Finding] = []
    previous: tuple[str, str | None] | None = None
    previous_attempts: float | None = None
    for body in polled:
        text = body.get("state")
        state = parse_state(text)
        findings.append(Finding(STATE_STRINGS, state is not None, f"state {text!r}"))
        attempts = number(body, "attempts")
        if attempts is not None and previous_attempts is not None:
            findings.append(
                Finding(
                    STATE_PATH,
                    attempts >= previous_attempts,
                    f"attempts went from {previous_attempts} to {attempts}",
                )
            )
        if state is None:
            continue
        if previous is not None:
            # a new attempt, whatever state the poll first sees it in: it starts at `Queued, Locally`
            # but a poller may meet it already past it (a quick peer answers within milliseconds)
            retry = attempts is not None and previous_attempts is not None and attempts > previous_attempts
            backwards = STAGES[state[0]] < STAGES[previous[0]] and not retry
            ending_changed = previous[0] == COMPLETED and state != previous and not retry
            findings.append(
                Finding(
                    STATE_PATH,
                    not (backwards or ending_changed),
                    f"state went from {', '.join(p for p in previous if p)!r} to {text!r}"
                    + ("" if attempts is None else f" (attempts {previous_attempts} → {attempts})"),
                )
            )
        previous, previous_attempts = state, attempts if attempts is not None else previous_attempts
    return findings


def judge_ending(download: Download) -> list[Finding]:
    """The state it ended in is the one the peer's behaviour implies."""
    expected = outcome(download.upload, cancelled=download.cancelled).ending
    text = download.last.get("state")
    return [
        Finding(
            ENDING_REQUIREMENTS[expected],
            text == f"{COMPLETED}, {expected}",
            f"a download from a peer that {download.upload.replace('-', ' ')} ended {text!r}, "
            f"not 'Completed, {expected}'",
        )
    ]


def judge_bytes(download: Download) -> list[Finding]:
    """Bytes counted never go down within an attempt; a succeeded download shows the file's
    size, all of it transferred, 100 percent, and the network's last upload reached its end."""
    findings: list[Finding] = []
    before: float | None = None
    for body in download.polled:
        moved = number(body, "bytesTransferred")
        if parse_state(body.get("state")) == (QUEUED_LOCALLY, None):
            before = None  # a retry: counted again from its offset
        if moved is not None and before is not None:
            findings.append(
                Finding(SUCCEEDED_BYTES, moved >= before, f"bytesTransferred went from {before} to {moved}")
            )
        before = moved if moved is not None else before
    last = download.last
    if last.get("state") != f"{COMPLETED}, Succeeded":
        return findings
    shown = {name: number(last, name) for name in ("size", "bytesTransferred", "percentComplete")}
    wrong = [
        f"{name} {value!r}"
        for name, value in shown.items()
        if value != (100 if name == "percentComplete" else download.size)
    ]
    if (remaining := number(last, "bytesRemaining")) not in (None, 0):
        wrong.append(f"bytesRemaining {remaining!r}")
    findings.append(
        Finding(
            SUCCEEDED_BYTES,
            not wrong,
            f"succeeded download of {download.size} bytes shows {', '.join(wrong)}",
        )
    )
    final = download.sent[-1] if download.sent else {}
    arrived = int(final.get("offset") or 0) + int(final.get("bytes_sent") or 0)
    findings.append(
        Finding(
            SUCCEEDED_BYTES,
            final.get("complete") is True and arrived == download.size,
            f"the network's last upload of it sent bytes {final.get('offset')}+{final.get('bytes_sent')} "
            f"of {download.size}, complete {final.get('complete')!r}",
        )
    )
    return findings


def judge_attempts(download: Download) -> list[Finding]:
    """Only Errored and TimedOut attempts are retried, at most `attempts_allowed` in all, and
    each retry resumes at the byte the attempts before it reached."""
    expected = outcome(download.upload, cancelled=download.cancelled)
    requests = len(download.sent)
    allowed = download.attempts_allowed if expected.requests is None else expected.requests
    exact = expected.requests is not None or expected.ending in RETRIED_ENDINGS
    findings = [
        Finding(
            RETRIED,
            requests == allowed if exact else int(not download.cancelled) <= requests <= allowed,
            f"the peer ({download.upload}) received {requests} requests for {download.filename!r}, "
            f"{'expected' if exact else 'at most'} {allowed}",
        )
    ]
    reached = 0
    for entry in download.sent:
        offset = int(entry.get("offset") or 0) if entry.get("offset") is not None else None
        if offset is not None:
            findings.append(
                Finding(
                    RESUMED,
                    offset == reached,
                    f"an attempt started at byte {offset}, the earlier ones had reached {reached}",
                )
            )
            reached = offset + int(entry.get("bytes_sent") or 0)
    return findings


def judge_enqueued_at(polled: list[dict[str, Any]], *, never_queued: bool = False) -> list[Finding]:
    """`enqueuedAt` is set once the peer queued the download: every read queued remotely or
    transferring carries it, and a download the peer never queued (it refused at once) never
    does. (That the enqueue's own answer has none is the probe's to see: a poll may miss the
    moment the peer queued it, so an early read is not judged.)"""
    findings = []
    for body in polled:
        state = parse_state(body.get("state"))
        if state is None:
            continue
        queued = STAGES[QUEUED_REMOTELY] <= STAGES[state[0]] < STAGES[COMPLETED]
        if queued or never_queued:
            findings.append(
                Finding(
                    ENQUEUED_AT,
                    (body.get("enqueuedAt") is not None) == queued,
                    f"state {body.get('state')!r} with enqueuedAt {body.get('enqueuedAt')!r}"
                    + (", from a peer that never queued it" if never_queued else ""),
                )
            )
    return findings


def judge_download(download: Download) -> list[Finding]:
    """Every verdict on one ended download."""
    return (
        judge_states(download.polled)
        + judge_enqueued_at(download.polled, never_queued=download.upload == "refuses")
        + judge_ending(download)
        + judge_bytes(download)
        + judge_attempts(download)
    )

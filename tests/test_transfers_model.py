"""The Transfers model judges a download the way slskd's code says it goes, and flags each way
a server can get it wrong (shared/soulseek/peers-and-apis.md §1.4, §3.2.3)."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.apis.transfers import model
from conformance.apis.transfers.model import Download, judge_download, outcome

SIZE = 1000
QUEUED_AT = "2026-12-07T10:00:00Z"
PATH = ["Queued, Locally", "Requested", "Queued, Remotely", "Initializing", "InProgress"]


def polled(*states: str, attempts: int = 0, queued: bool = False, **last: Any) -> list[dict[str, Any]]:
    """Reads of a download in `states`, enqueuedAt set from its first `Queued, Remotely` on."""
    reads = []
    for state in states:
        queued = queued or state == "Queued, Remotely"
        read = {"state": state, "attempts": attempts, "bytesTransferred": 0}
        reads.append(read | ({"enqueuedAt": QUEUED_AT} if queued else {}))
    reads[-1].update(last)
    return reads


def succeeded(**fields: Any) -> dict[str, Any]:
    return {
        "state": "Completed, Succeeded",
        "attempts": 0,
        "size": SIZE,
        "bytesTransferred": SIZE,
        "bytesRemaining": 0,
        "percentComplete": 100,
        "enqueuedAt": QUEUED_AT,
    } | fields


def sent(offset: int | None = 0, bytes_sent: int = SIZE, *, complete: bool = True) -> dict[str, Any]:
    return {
        "offset": offset,
        "bytes_sent": bytes_sent,
        "complete": complete,
    }


def download(upload: str, reads: list[dict[str, Any]], log: list[dict[str, Any]], **kw: Any) -> Download:
    return Download("Music\\a b.flac", SIZE, upload, reads, log, **kw)


def failed(findings: list[model.Finding]) -> set[str]:
    return {f.requirement for f in findings if not f.ok}


def test_a_queued_download_that_arrives_whole_holds_every_requirement() -> None:
    reads = [*polled(*PATH), succeeded()]
    assert failed(judge_download(download("queues", reads, [sent()]))) == set()


@pytest.mark.parametrize(
    ("upload", "ending", "requests"),
    [
        ("refuses", "Rejected", 1),
        ("denies", "Rejected", 1),
        ("resizes", "Aborted", 1),
        ("fails", "Errored", 3),
    ],
)
def test_each_way_a_peer_refuses_ends_in_its_own_state_with_its_own_retries(
    upload: str, ending: str, requests: int
) -> None:
    reads = [*polled("Queued, Locally", "Requested"), {"state": f"Completed, {ending}", "attempts": 0}]
    log = [sent(None, 0, complete=False)] * requests
    assert failed(judge_download(download(upload, reads, log))) == set()
    assert model.ENDING_REQUIREMENTS[ending] in failed(
        judge_download(download(upload, [*reads[:-1], succeeded()], log))
    )


def test_a_dropped_upload_is_retried_from_the_byte_that_arrived() -> None:
    reads = (
        polled(*PATH)
        + polled("Queued, Locally", "InProgress", attempts=1, queued=True)
        + [succeeded(attempts=1)]
    )
    resumed = [sent(0, 400, complete=False), sent(400, 600)]
    assert failed(judge_download(download("drops", reads, resumed))) == set()
    from_zero = [sent(0, 400, complete=False), sent(0, 1000)]
    assert failed(judge_download(download("drops", reads, from_zero))) == {model.RESUMED}


def test_a_retry_first_polled_past_queued_locally_is_still_a_retry() -> None:
    """A quick peer moves a new attempt on before the next poll: its grown `attempts` says retry."""
    reads = [*polled(*PATH), {"state": "Completed, Errored", "attempts": 0}]
    reads += [*polled("Queued, Remotely", "InProgress", attempts=1, queued=True), succeeded(attempts=1)]
    resumed = [sent(0, 400, complete=False), sent(400, 600)]
    assert failed(judge_download(download("drops", reads, resumed))) == set()


def test_a_state_that_goes_back_without_a_retry_is_a_defect() -> None:
    reads = [*polled("Queued, Locally", "Queued, Remotely", "InProgress", "Requested"), succeeded()]
    assert failed(judge_download(download("queues", reads, [sent()]))) == {model.STATE_PATH}


def test_an_ending_that_changes_is_a_defect_unless_it_is_a_retry() -> None:
    changed = [*polled(*PATH), {"state": "Completed, Errored", "attempts": 0}, succeeded()]
    assert model.STATE_PATH in failed(judge_download(download("queues", changed, [sent()])))


@pytest.mark.parametrize("state", ["completed, succeeded", "Completed Succeeded", "Done", None])
def test_a_state_slskd_never_writes_is_a_defect(state: str | None) -> None:
    reads = [*polled("Queued, Locally"), {"state": state}, succeeded()]
    assert model.STATE_STRINGS in failed(judge_download(download("queues", reads, [sent()])))


@pytest.mark.parametrize(
    "wrong", [{"bytesTransferred": 999}, {"percentComplete": 99.9}, {"size": 1001}, {"bytesRemaining": 1}]
)
def test_a_succeeded_download_that_miscounts_its_bytes_is_a_defect(wrong: dict[str, Any]) -> None:
    reads = [*polled(*PATH), succeeded(**wrong)]
    assert failed(judge_download(download("queues", reads, [sent()]))) == {model.SUCCEEDED_BYTES}


def test_an_upload_that_stopped_short_of_the_end_is_a_defect() -> None:
    reads = [*polled(*PATH), succeeded()]
    short = [sent(0, SIZE - 1, complete=False)]
    assert failed(judge_download(download("queues", reads, short))) == {model.SUCCEEDED_BYTES}


def test_bytes_counted_backwards_within_an_attempt_are_a_defect() -> None:
    reads = [
        *polled(*PATH),
        {"state": "InProgress", "bytesTransferred": 500, "enqueuedAt": QUEUED_AT},
        {"state": "InProgress", "bytesTransferred": 100, "enqueuedAt": QUEUED_AT},
        succeeded(),
    ]
    assert failed(judge_download(download("queues", reads, [sent()]))) == {model.SUCCEEDED_BYTES}


def test_a_retry_of_a_rejected_download_is_a_defect() -> None:
    reads = [*polled("Requested"), {"state": "Completed, Rejected"}]
    twice = [sent(None, 0, complete=False)] * 2
    assert failed(judge_download(download("denies", reads, twice))) == {model.RETRIED}


def test_a_cancelled_download_ends_cancelled_whatever_the_peer_does() -> None:
    assert outcome("silent", cancelled=True).ending == "Cancelled"
    reads = [*polled("Queued, Locally", "Requested"), {"state": "Completed, Cancelled"}]
    assert (
        failed(judge_download(download("silent", reads, [sent(None, 0, complete=False)], cancelled=True)))
        == set()
    )


def test_enqueued_at_is_set_once_the_peer_queued_the_download() -> None:
    reads = [
        {"state": "Queued, Locally"},
        {"state": "Queued, Remotely", "enqueuedAt": QUEUED_AT},
        {"state": "InProgress", "enqueuedAt": QUEUED_AT},
    ]
    assert failed(model.judge_enqueued_at(reads)) == set()
    never = [reads[0], {"state": "Queued, Remotely", "enqueuedAt": None}]
    assert failed(model.judge_enqueued_at(never)) == {model.ENQUEUED_AT}


def test_a_download_the_peer_refused_at_once_never_has_an_enqueued_at() -> None:
    refused = [{"state": "Requested"}, {"state": "Completed, Rejected", "enqueuedAt": QUEUED_AT}]
    assert failed(model.judge_enqueued_at(refused, never_queued=True)) == {model.ENQUEUED_AT}
    assert failed(model.judge_enqueued_at(refused[:1], never_queued=True)) == set()

"""Transfers' probes of the limits and removals around a download from the simulated peers: an
offline peer's enqueue answers 500, a third enqueue in flight answers 429, and removing the
completed downloads leaves a running one.

Like the download probe (`test_transfer_downloads.py`), they need the simulated network's peers
(the embedded server, or a target proven on `conformance network`); the thin
`conformance/suite/test_transfer_limits.py` collects them. What they enqueue is cancelled and
removed at the end.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from conformance.apis.transfers.ids import Transfer
from conformance.apis.transfers.oracle import oracle
from conformance.apis.transfers.probes import TransferProbe, listed_files
from conformance.apis.transfers.reading import COMPLETED, parse_state
from conformance.apis.transfers.watched import Watched, uploaders
from conformance.checks.context import SuiteContext, request_line
from conformance.checks.responses import an_object, json_body, objects
from conformance.requirements.catalogue import Need
from conformance.requirements.registry import check

__all__ = [
    "probe",
    "test_a_third_enqueue_in_flight_answers_429",
    "test_an_enqueue_from_an_offline_peer_answers_500_and_stores_nothing",
    "test_removing_the_completed_downloads_leaves_a_running_one",
]


@pytest.fixture
def probe(conformance: SuiteContext) -> TransferProbe:
    return TransferProbe(conformance)


@check(Transfer.TRANSFER_ENQUEUE_500, Transfer.DOCGAP_TRANSFER_ENQUEUE_500, kind="probe")
def test_an_enqueue_from_an_offline_peer_answers_500_and_stores_nothing(probe: TransferProbe) -> None:
    """A peer the network knows as offline: the enqueue answers 500 and stores no download."""
    probe.require_downloads(Need.OUTGOING)
    network = oracle(probe.ctx)
    offline = [
        p
        for p in (network.peers() if network is not None else [])
        if p.get("online") is False and p.get("shares")
    ]
    if not offline:
        pytest.skip("needs the simulated network's offline peer (the embedded server or --network-control)")
    peer, file = offline[0], offline[0]["shares"][0]
    response = probe.enqueue(str(peer["username"]), [{"filename": file["filename"], "size": file["size"]}])
    probe.expect_status(Transfer.TRANSFER_ENQUEUE_500, response, 500)
    probe.check(
        Transfer.DOCGAP_TRANSFER_ENQUEUE_500,
        response.status_code != 500,
        f"{request_line(response)} of an offline peer answered 500, an unexpected error in the docs, "
        "not their 403 (rejected)",
    )
    stored = [f for f in listed_files(probe) if f.get("username") == peer["username"]]
    probe.check(
        Transfer.TRANSFER_ENQUEUE_500,
        not stored,
        f"after the enqueue from offline {peer['username']!r} the list shows {len(stored)} of its downloads",
    )
    probe.done()


OVERLAP_S = 0.02  # how long all the enqueues must have been in flight together to be judged
TRIES = 5  # sends of three enqueues at once, until one has all three in flight together


@check(Transfer.TRANSFER_ENQUEUE_429, kind="probe")
def test_a_third_enqueue_in_flight_answers_429(probe: TransferProbe) -> None:
    """Three enqueues sent at once, each of a file a different simulated peer shares: while two
    are in flight (each connecting to its peer), the third answers 429. Judged once one answered
    429, or when all three were in flight together (the two sent first still unanswered
    `OVERLAP_S` after the last was sent)."""
    probe.require_downloads(Need.INCOMING)
    network = oracle(probe.ctx)
    chosen = uploaders(network, each_way=False, ways=("at-once", "queues")) if network is not None else []
    if len(chosen) < 3:
        pytest.skip("needs three uploading peers of the simulated network")
    for _ in range(TRIES):
        statuses, together = _three_at_once(probe, chosen[:3])
        if together or 429 in statuses:  # a 429 shows the limit, however the three overlapped
            break
    else:
        pytest.skip(f"the three enqueues were never in flight together ({statuses}): not judged")
    probe.check(
        Transfer.TRANSFER_ENQUEUE_429,
        statuses.count(429) >= 1,
        f"three enqueues in flight together answered {statuses}, none 429",
    )
    probe.done()


def _three_at_once(probe: TransferProbe, chosen: list[Watched]) -> tuple[list[int], bool]:
    """Send the three enqueues at once: their statuses, and whether all were in flight together."""
    barrier = threading.Barrier(3)
    timed: list[tuple[float, float, int]] = []

    errors: list[BaseException] = []

    def post(item: Watched) -> None:  # the run's session, unjudged: judging is one thread's
        barrier.wait()
        sent = time.monotonic()
        files = [{"filename": item.filename, "size": item.size}]
        try:
            response = probe.ctx.call("POST", "transfers", "downloads", item.username, json=files)
        except BaseException as error:  # a spent budget, a down target: raised again in the test
            errors.append(error)
            return
        timed.append((sent, time.monotonic(), response.status_code))
        body = an_object(json_body(response)) or {}
        probe.enqueued += [(item.username, t["id"]) for t in objects(body.get("enqueued")) if "id" in t]

    threads = [threading.Thread(target=post, args=(item,)) for item in chosen]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    *earlier, last = sorted(timed)  # by when each was sent
    together = all(answered > last[0] + OVERLAP_S for _, answered, _ in earlier)
    return sorted(status for _, _, status in timed), together


@check(Transfer.TRANSFER_REMOVE_COMPLETED, kind="probe")
def test_removing_the_completed_downloads_leaves_a_running_one(probe: TransferProbe) -> None:
    """DELETE all/completed while a download waits on a silent peer (it cannot have ended: the
    peer never answers): that download is neither hidden nor marked removed. Judged only when
    the reads before and after the DELETE both show it unfinished."""
    probe.require_downloads(Need.INCOMING)
    network = oracle(probe.ctx)
    silent = [w for w in (uploaders(network) if network is not None else []) if w.upload == "silent"]
    if not silent:
        pytest.skip("needs the simulated network's silent peer (the embedded server or --network-control)")
    item = silent[0]
    response = probe.enqueue(item.username, [{"filename": item.filename, "size": item.size}])
    enqueued = objects((an_object(json_body(response)) or {}).get("enqueued"))
    if response.status_code != 201 or not enqueued or not isinstance(enqueued[0].get("id"), str):
        pytest.skip(f"the enqueue from {item.username} answered {response.status_code}: nothing to judge")
    transfer_id = str(enqueued[0]["id"])

    def unfinished(read: dict[str, Any] | None) -> bool:
        return read is not None and (parse_state(read.get("state")) or (COMPLETED,))[0] != COMPLETED

    if not unfinished(probe.download(item.username, transfer_id)):
        pytest.skip("the silent peer's download had already ended: not judged")
    cleared = probe.call("DELETE", "transfers", "downloads", "all", "completed")
    after = probe.download(item.username, transfer_id)
    if unfinished(after):
        assert after is not None
        listed = any(f.get("id") == transfer_id for f in listed_files(probe))
        probe.check(
            Transfer.TRANSFER_REMOVE_COMPLETED,
            after.get("removed") is not True and listed,
            f"after {request_line(cleared)} the unfinished download from {item.username} "
            f"({after.get('state')!r}) is {'listed' if listed else 'not listed'}, "
            f"removed {after.get('removed')!r}",
        )
    probe.done()

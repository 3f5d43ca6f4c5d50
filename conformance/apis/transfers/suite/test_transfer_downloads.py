"""Transfers' download probe with the simulated network's peers: one download from each way a
peer uploads, side by side, each followed to its end and judged by the model
(`conformance.apis.transfers.model`) against what the network says the peer received and sent.

The files are ones the simulated peers share, so this probe runs only where those peers are the
whole network (the embedded server, or a target proven on `conformance network`); the thin
`conformance/suite/test_transfer_downloads.py` collects it. Every download it enqueued is
cancelled and removed at the end.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from conformance.apis.transfers import model
from conformance.apis.transfers.ids import Transfer
from conformance.apis.transfers.model import RETRIED_ENDINGS, Download, judge_download
from conformance.apis.transfers.oracle import TransferOracle, oracle
from conformance.apis.transfers.probes import TransferProbe, grouping_problems, listed_files
from conformance.apis.transfers.reading import COMPLETED, parse_state
from conformance.apis.transfers.watched import Watched, uploaders
from conformance.checks.context import SuiteContext, request_line
from conformance.checks.probes import unknown_user
from conformance.checks.responses import an_object, json_body, objects
from conformance.requirements.catalogue import Need
from conformance.requirements.registry import check

__all__ = [
    "probe",
    "test_a_download_from_each_kind_of_peer_ends_as_the_peer_made_it",
]

WITHIN_S = 10.0  # every download ends well within this: the peers' steps take tenths of a second
CANCEL_AFTER_S = 0.5  # a silent peer's download is cancelled once it has waited this long on it
WITHIN_QUEUED_S = 1.0  # a queueing peer has queued the download by then, and waits on it longer
SETTLE_S = 0.3  # the network's record of an upload may trail the target's read of its end


@pytest.fixture
def probe(conformance: SuiteContext) -> TransferProbe:
    return TransferProbe(conformance)


def _sent(network: TransferOracle, watched: Watched) -> list[dict[str, Any]]:
    """The requests the network's peer received for this download, oldest first."""
    return [
        entry
        for entry in network.transfers()
        if entry.get("peer") == watched.username
        and entry.get("filename") == watched.filename
        and float(entry.get("received_at") or 0.0) >= watched.posted - 1.0
    ]


def _past_requested(read: dict[str, Any]) -> bool:
    return read.get("state") not in ("Queued, Locally", "Requested")


def _final(watched: Watched, read: dict[str, Any], network: TransferOracle) -> bool:
    """Whether a read is the download's end: completed, and not an attempt slskd will retry
    (an Errored or TimedOut one is final only once every attempt was made, unless the checker
    cancelled it: a cancelled download is not tried again). A state that is none of slskd's
    ends the watch too: its ending can no longer be read (the model names the state)."""
    state = parse_state(read.get("state"))
    if state is None:
        return True
    if state[0] != COMPLETED:
        return False
    final_attempt = len(_sent(network, watched)) >= model.ATTEMPTS_ALLOWED
    return state[1] not in RETRIED_ENDINGS or watched.cancelled or final_attempt


@check(
    *model.JUDGED,
    Transfer.TRANSFER_ENQUEUE_201,
    Transfer.TRANSFER_GET_200,
    Transfer.TRANSFER_USERNAME_200,
    Transfer.TRANSFER_LIST_GROUPED,
    Transfer.TRANSFER_CANCEL_REMOVE,
    Transfer.TRANSFER_REMOVE_COMPLETED,
    Transfer.TRANSFER_NETWORK_REQUEST,
    Transfer.TRANSFER_ENQUEUE_QUEUED_LOCALLY,
    Transfer.TRANSFER_ENQUEUE_SKIPPED,
    Transfer.TRANSFER_ENQUEUE_DUPLICATES_500,
    Transfer.TRANSFER_CANCEL_204,
    Transfer.TRANSFER_POSITION_200,
    Transfer.DOCGAP_TRANSFER_POSITION_INT,
    Transfer.DOCGAP_TRANSFER_GET_ID_IGNORES_USER,
    Transfer.DOCGAP_TRANSFER_REMOVE_RUNNING,
    Transfer.DOCGAP_TRANSFER_STATES,
    Transfer.DOCGAP_TRANSFER_FIELDS,
    kind="probe",
)
def test_a_download_from_each_kind_of_peer_ends_as_the_peer_made_it(probe: TransferProbe) -> None:
    """One download from each way a simulated peer uploads (at once, queued, refused, denied,
    failing, dropping mid-file, announcing another size, silent), side by side: each moves only
    forward through slskd's states and ends as the peer made it, with its bytes, retries and
    resumed offsets as the network saw them; the silent one is cancelled and ends Cancelled.
    Then the lists show each under its user and remote directory; one removed (`remove=true`)
    leaves them but for `includeRemoved`, and DELETE all/completed removes the rest."""
    probe.require_downloads(Need.INCOMING)
    network = oracle(probe.ctx)
    watched = uploaders(network) if network is not None else []
    if not watched:
        pytest.skip(
            "needs the simulated network's uploading peers (the embedded server or --network-control)"
        )
    for item in watched:
        item.posted = time.time()
        response = probe.enqueue(item.username, [{"filename": item.filename, "size": item.size}])
        body = an_object(json_body(response)) or {}
        enqueued = [t for t in body.get("enqueued") or [] if isinstance(t, dict)]
        probe.check(
            Transfer.TRANSFER_ENQUEUE_201,
            response.status_code == 201 and len(enqueued) == 1,
            f"{request_line(response)} answered {response.status_code} with {len(enqueued)} enqueued",
        )
        item.id = enqueued[0].get("id") if enqueued and isinstance(enqueued[0].get("id"), str) else None
        item.ended = item.id is None
        if enqueued:
            _check_enqueued(probe, item, enqueued[0])
    for item in watched:
        if item.upload == "queues" and item.id is not None:
            item.reads += probe.wait_for(item.username, item.id, _past_requested, within=WITHIN_QUEUED_S)
            if item.reads and item.reads[-1].get("state") == "Queued, Remotely":
                _check_position(probe, item)
    _follow(probe, network, watched)
    time.sleep(SETTLE_S)
    for item in watched:
        if item.id is None or not item.reads:
            continue
        download = Download(
            item.filename, item.size, item.upload, item.reads, _sent(network, item), cancelled=item.cancelled
        )
        for finding in judge_download(download):
            probe.check(finding.requirement, finding.ok, f"{item.username}: {finding.message}")
        probe.check(
            Transfer.TRANSFER_NETWORK_REQUEST,
            bool(download.sent),
            f"the network's {item.username} received no TransferRequest for {item.filename!r}",
        )
    ended = [item for item in watched if item.id is not None and item.reads]
    if ended:
        _check_documented_shape(probe, ended)
        _check_lists(probe, [item for item in ended if not item.cancelled])
        _check_removed_while_running(probe, [item for item in ended if item.cancelled])
        _check_removals(probe, ended)
        _check_duplicates(probe, ended)
    probe.done()


def _check_enqueued(probe: TransferProbe, item: Watched, transfer: dict[str, Any]) -> None:
    """The 201's Transfer is the file as asked, not started: `Queued, Locally`, nothing moved."""
    wrong = {
        name: transfer.get(name)
        for name, expected in (
            ("state", "Queued, Locally"),
            ("direction", "Download"),
            ("filename", item.filename),
            ("size", item.size),
            ("bytesTransferred", 0),
            ("username", item.username),
        )
        if transfer.get(name) != expected
    }
    probe.check(
        Transfer.TRANSFER_ENQUEUE_QUEUED_LOCALLY,
        not wrong,
        f"the enqueue of {item.filename!r} from {item.username} answered a Transfer with {wrong}",
    )
    probe.check(
        Transfer.TRANSFER_ENQUEUED_AT,
        transfer.get("enqueuedAt") is None,
        f"the enqueue of {item.filename!r} answered at once, before the peer queued it, with "
        f"enqueuedAt {transfer.get('enqueuedAt')!r}",
    )


# The Transfer's fields slskd names that the docs' Transfer does not, and the reverse
SLSKD_FIELDS = frozenset({"requestedAt", "enqueuedAt", "startedAt", "endedAt", "attempts", "removed"})
DOCUMENTED_FIELDS = frozenset({"startTime", "endTime", "startOffset", "token", "remoteToken"})


def _check_documented_shape(probe: TransferProbe, ended: list[Watched]) -> None:
    """The gaps between the docs' Transfer and what the target answers: state values the docs
    never list, and fields named otherwise."""
    states = sorted({str(read.get("state")) for item in ended for read in item.reads})
    probe.check(
        Transfer.DOCGAP_TRANSFER_STATES,
        False,
        f"the docs list no TransferStates values; the downloads showed {states[:6]}",
    )
    read = ended[0].reads[-1]
    extra, missing = sorted(SLSKD_FIELDS & set(read)), sorted(DOCUMENTED_FIELDS - set(read))
    probe.check(
        Transfer.DOCGAP_TRANSFER_FIELDS,
        not extra and not missing,
        f"a Transfer carries {extra}, which the docs do not name, and lacks their {missing}",
    )


def _check_removed_while_running(probe: TransferProbe, cancelled: list[Watched]) -> None:
    """A download cancelled with remove=true while it ran: the docs say it is removed."""
    listed = {f.get("id") for f in listed_files(probe)}
    for item in cancelled:
        probe.check(
            Transfer.DOCGAP_TRANSFER_REMOVE_RUNNING,
            item.id not in listed,
            f"DELETE …/{item.id}?remove=true cancelled the running download from {item.username}, "
            "which is still listed",
        )


def _check_duplicates(probe: TransferProbe, ended: list[Watched]) -> None:
    """A POST naming one file twice is refused whole (500) and enqueues nothing."""
    item = ended[0]
    files = [{"filename": item.filename, "size": item.size}] * 2
    response = probe.enqueue(item.username, files)
    again = [f for f in listed_files(probe, includeRemoved="true") if f.get("filename") == item.filename]
    fresh = [f for f in again if f.get("id") != item.id]
    probe.check(
        Transfer.TRANSFER_ENQUEUE_DUPLICATES_500,
        response.status_code == 500 and not fresh,
        f"{request_line(response)} naming {item.filename!r} twice answered {response.status_code} "
        f"and enqueued {len(fresh)}",
    )


def _check_lists(probe: TransferProbe, ended: list[Watched]) -> None:
    """Each download is read by id, listed once under its user and remote directory, and in its
    user's own list."""
    first = ended[0]
    got = probe.call("GET", "transfers", "downloads", first.username, str(first.id))
    elsewhere = probe.call("GET", "transfers", "downloads", unknown_user(), str(first.id))
    probe.check(
        Transfer.DOCGAP_TRANSFER_GET_ID_IGNORES_USER,
        elsewhere.status_code == 404,
        f"{request_line(elsewhere)} of {first.username}'s download under another user answered "
        f"{elsewhere.status_code}",
    )
    probe.check(
        Transfer.TRANSFER_GET_200,
        got.status_code == 200 and (an_object(json_body(got)) or {}).get("id") == first.id,
        f"{request_line(got)} answered {got.status_code} {probe.ctx.body_excerpt(got)}",
    )
    body = json_body(probe.call("GET", "transfers", "downloads"))
    problems = grouping_problems(objects(body))
    listed = [(f.get("username"), f.get("id")) for f in listed_files(probe)]
    missing = [i.username for i in ended if listed.count((i.username, i.id)) != 1]
    probe.check(
        Transfer.TRANSFER_LIST_GROUPED,
        not problems and not missing,
        "; ".join(problems[:3] + [f"downloads from {missing} not listed once"] * bool(missing)),
    )
    mine = probe.call("GET", "transfers", "downloads", first.username)
    shown = an_object(json_body(mine)) or {}
    probe.check(
        Transfer.TRANSFER_USERNAME_200,
        mine.status_code == 200
        and shown.get("username") == first.username
        and any(f.get("id") == first.id for f in listed_files(probe, first.username)),
        f"{request_line(mine)} answered {mine.status_code} without the download {first.id}",
    )


def _check_removals(probe: TransferProbe, ended: list[Watched]) -> None:
    """One completed download removed is gone from the list but for includeRemoved (removed
    true); DELETE all/completed removes every other completed one."""
    completed = [i for i in ended if (parse_state(i.reads[-1].get("state")) or ("",))[0] == COMPLETED]
    if not completed:
        return
    one = completed[0]
    probe.call("DELETE", "transfers", "downloads", one.username, str(one.id), params={"remove": "true"})
    hidden = all(f.get("id") != one.id for f in listed_files(probe))
    kept = [f for f in listed_files(probe, includeRemoved="true") if f.get("id") == one.id]
    probe.check(
        Transfer.TRANSFER_CANCEL_REMOVE,
        hidden and len(kept) == 1 and kept[0].get("removed") is True,
        f"after DELETE …/{one.id}?remove=true the list {'hides' if hidden else 'shows'} it; "
        f"with includeRemoved it shows {[k.get('removed') for k in kept]} (removed)",
    )
    cleared = probe.call("DELETE", "transfers", "downloads", "all", "completed")
    left = {f.get("id") for f in listed_files(probe)} & {i.id for i in completed}
    probe.check(
        Transfer.TRANSFER_REMOVE_COMPLETED,
        cleared.status_code == 204 and not left,
        f"{request_line(cleared)} answered {cleared.status_code}; "
        f"completed downloads still listed: {sorted(map(str, left))}",
    )


def _check_position(probe: TransferProbe, item: Watched) -> None:
    """A download the peer queued: its place is the one the peer gives (slskd answers the bare
    number, the docs the Transfer with `placeInQueue`)."""
    item.positioned = True
    response = probe.call("GET", "transfers", "downloads", item.username, str(item.id), "position")
    body = json_body(response)
    place = body.get("placeInQueue") if isinstance(body, dict) else body
    probe.check(
        Transfer.TRANSFER_POSITION_200,
        response.status_code == 200 and (item.place is None or place == item.place),
        f"{request_line(response)} answered {response.status_code} {probe.ctx.body_excerpt(response)}, "
        f"the peer's place is {item.place}",
    )
    if response.status_code == 200:
        probe.check(
            Transfer.DOCGAP_TRANSFER_POSITION_INT,
            isinstance(body, dict),
            f"{request_line(response)} answered the bare {body!r}, not the documented Transfer",
        )


def _check_skipped(probe: TransferProbe, item: Watched) -> None:
    """A file already downloading from that user is not enqueued again, but listed as failed."""
    response = probe.enqueue(item.username, [{"filename": item.filename, "size": item.size}])
    body = an_object(json_body(response)) or {}
    failed = [f for f in body.get("failed") or [] if isinstance(f, dict)]
    probe.check(
        Transfer.TRANSFER_ENQUEUE_SKIPPED,
        not body.get("enqueued")
        and [f.get("filename") for f in failed] == [item.filename]
        and "already in progress" in str(failed[0].get("message")).lower(),
        f"enqueued again while it downloads, {item.filename!r} answered {response.status_code} "
        f"{probe.ctx.body_excerpt(response)}",
    )


def _follow(probe: TransferProbe, network: TransferOracle, watched: list[Watched]) -> None:
    """Read every download in turn until each has ended (cancelling the silent peer's once it
    has waited on it), or the time is up."""
    deadline = time.monotonic() + WITHIN_S
    while not all(item.ended for item in watched) and time.monotonic() < deadline:
        for item in watched:
            if item.ended or item.id is None:
                continue
            read = probe.download(item.username, item.id)
            if read is None:
                item.ended = True
                continue
            item.reads.append(read)
            if _final(item, read, network):
                item.ended = True
            elif read.get("state") == "Queued, Remotely" and not item.positioned:
                _check_position(probe, item)
            elif (
                item.upload == "silent" and not item.cancelled and time.time() > item.posted + CANCEL_AFTER_S
            ):
                _check_skipped(probe, item)
                cancelled = probe.call(
                    "DELETE", "transfers", "downloads", item.username, item.id, params={"remove": "true"}
                )
                probe.expect_status(Transfer.TRANSFER_CANCEL_204, cancelled, 204)
                item.cancelled = True
        time.sleep(0.05)

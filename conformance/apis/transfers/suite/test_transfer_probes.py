"""Transfers' probes that need no peer: the lists' shapes, unknown ids and users, the bulk
removals and the enqueues refused before any peer is asked. The thin
`conformance/suite/test_transfer_probes.py` collects them.
"""

from __future__ import annotations

import pytest

from conformance.apis.transfers.ids import Transfer
from conformance.apis.transfers.oracle import oracle
from conformance.apis.transfers.probes import DIRECTIONS, TransferProbe, grouping_problems, unknown_id
from conformance.checks.context import SuiteContext, request_line
from conformance.checks.probes import unknown_user
from conformance.checks.responses import json_body, objects
from conformance.peers.library import SEPARATOR
from conformance.requirements.registry import check

__all__ = [
    "probe",
    "test_malformed_enqueues_answer_400_and_store_nothing",
    "test_reads_of_an_unknown_download_answer_404",
    "test_the_lists_are_arrays_of_users_grouped_by_remote_directory",
    "test_writes_to_an_unknown_download_and_the_bulk_removals",
]

NOT_A_GUID = "not-a-guid"
MALFORMED = (
    [],  # nothing to download
    [None],  # a null file
    [{"filename": f"Music{SEPARATOR}..{SEPARATOR}secret.flac", "size": 1}],  # a traversal segment
)


@pytest.fixture
def probe(conformance: SuiteContext) -> TransferProbe:
    return TransferProbe(conformance)


@check(
    Transfer.TRANSFER_LIST_200,
    Transfer.TRANSFER_UPLOADS_200,
    Transfer.TRANSFER_LIST_GROUPED,
    kind="probe",
)
def test_the_lists_are_arrays_of_users_grouped_by_remote_directory(probe: TransferProbe) -> None:
    """GET /transfers/downloads and /transfers/uploads answer arrays of users, each with its
    transfers grouped by remote directory."""
    for direction, requirement in zip(
        DIRECTIONS, (Transfer.TRANSFER_LIST_200, Transfer.TRANSFER_UPLOADS_200), strict=True
    ):
        response = probe.call("GET", "transfers", direction)
        body = json_body(response)
        probe.check(
            requirement,
            response.status_code == 200 and isinstance(body, list),
            f"{request_line(response)} answered {response.status_code} {probe.ctx.body_excerpt(response)}",
        )
        if direction == "downloads" and isinstance(body, list) and body:
            problems = grouping_problems(objects(body))
            probe.check(Transfer.TRANSFER_LIST_GROUPED, not problems, "; ".join(problems[:3]))
    probe.done()


@check(
    Transfer.TRANSFER_GET_404,
    Transfer.TRANSFER_POSITION_404,
    Transfer.DOCGAP_TRANSFER_USER_404_NO_DOWNLOADS,
    Transfer.DOCGAP_TRANSFER_BAD_GUID_400,
    kind="probe",
)
def test_reads_of_an_unknown_download_answer_404(probe: TransferProbe) -> None:
    """A download id nobody has is not found, nor its place in queue; a user without downloads
    is an empty answer in the docs (slskd: 404); an id that is no GUID is 400 on slskd (the docs
    list only 404)."""
    user = unknown_user()
    for transfer_id in (unknown_id(), NOT_A_GUID):
        got = probe.call("GET", "transfers", "downloads", user, transfer_id)
        position = probe.call("GET", "transfers", "downloads", user, transfer_id, "position")
        if transfer_id == NOT_A_GUID:
            for response in (got, position):
                probe.check(
                    Transfer.DOCGAP_TRANSFER_BAD_GUID_400,
                    response.status_code != 400,
                    f"{request_line(response)} answered 400, which its docs (200, 404) do not list",
                )
        # slskd binds an id that is no GUID to nothing and refuses it (400): not found either way
        refusals = (404,) if transfer_id != NOT_A_GUID else (404, 400)
        probe.expect_status(Transfer.TRANSFER_GET_404, got, *refusals)
        probe.expect_status(Transfer.TRANSFER_POSITION_404, position, *refusals)
    for direction in DIRECTIONS:
        nobody = probe.call("GET", "transfers", direction, user)
        probe.check(
            Transfer.DOCGAP_TRANSFER_USER_404_NO_DOWNLOADS,
            nobody.status_code != 404,
            f"{request_line(nobody)} of a user without {direction} answered 404, "
            "which its docs (200) do not list",
        )
    probe.done()


@check(
    Transfer.TRANSFER_CANCEL_404,
    Transfer.TRANSFER_UPLOADS_CANCEL_404,
    Transfer.DOCGAP_TRANSFER_DELETE_UNKNOWN_204,
    Transfer.TRANSFER_REMOVE_COMPLETED_204,
    Transfer.TRANSFER_UPLOADS_REMOVE_COMPLETED_204,
    kind="probe",
)
def test_writes_to_an_unknown_download_and_the_bulk_removals(probe: TransferProbe) -> None:
    """Cancelling a download or upload nobody has is not found (slskd answers 204: a gap); the
    bulk removals of completed transfers answer 204. The removals change what a real user's list
    shows, so they run only where downloads may (the embedded server, a simulated network)."""
    probe.require_changes()
    user = unknown_user()
    for direction, requirement in zip(
        DIRECTIONS, (Transfer.TRANSFER_CANCEL_404, Transfer.TRANSFER_UPLOADS_CANCEL_404), strict=True
    ):
        cancelled = probe.call("DELETE", "transfers", direction, user, unknown_id())
        probe.expect_status(requirement, cancelled, 404)
        probe.check(
            Transfer.DOCGAP_TRANSFER_DELETE_UNKNOWN_204,
            cancelled.status_code != 204,
            f"{request_line(cancelled)} of an id nobody has answered 204, not the documented 404",
        )
    if probe.may_download:
        for direction, requirement in zip(
            DIRECTIONS,
            (Transfer.TRANSFER_REMOVE_COMPLETED_204, Transfer.TRANSFER_UPLOADS_REMOVE_COMPLETED_204),
            strict=True,
        ):
            probe.expect_status(
                requirement, probe.call("DELETE", "transfers", direction, "all", "completed"), 204
            )
    probe.done()


@check(Transfer.TRANSFER_ENQUEUE_400, Transfer.DOCGAP_TRANSFER_ENQUEUE_STATUSES, kind="probe")
def test_malformed_enqueues_answer_400_and_store_nothing(probe: TransferProbe) -> None:
    """An empty list, a null file and a path with a `..` segment are refused with 400 before any
    peer is asked (a status the docs do not list), and leave no download for that user. A server
    that took one would ask the peer: only where downloads may reach peers."""
    probe.require_downloads()
    user = unknown_user()
    for files in MALFORMED:
        response = probe.enqueue(user, files)
        probe.expect_status(Transfer.TRANSFER_ENQUEUE_400, response, 400)
        probe.check(
            Transfer.DOCGAP_TRANSFER_ENQUEUE_STATUSES,
            response.status_code in (201, 403, 500),
            f"{request_line(response)} answered {response.status_code}, "
            "which its docs (201, 403, 500) do not list",
        )
    stored = json_body(probe.call("GET", "transfers", "downloads", user))
    directories = objects(stored.get("directories")) if isinstance(stored, dict) else []
    files = [f for directory in directories for f in objects(directory.get("files"))]
    probe.check(
        Transfer.TRANSFER_ENQUEUE_400,
        not files,
        f"after three refused enqueues GET /transfers/downloads/{user} lists "
        f"{[f.get('filename') for f in files]}",
    )
    probe.done()


@check(
    Transfer.TRANSFER_UPLOADS_USERNAME_200,
    Transfer.TRANSFER_UPLOADS_GET_200,
    Transfer.TRANSFER_UPLOADS_CANCEL_204,
    kind="probe",
)
def test_an_upload_is_listed_under_its_user_and_read_by_id(probe: TransferProbe) -> None:
    """An upload the target lists is in its user's list and read by its id. Uploads exist only
    once a peer downloads from the target, which the simulated peers do not do yet: on such a
    target this probe has nothing to read. It cancels one only where the uploader is a simulated
    peer: elsewhere that would end a real person's download."""
    listed = [
        (user.get("username"), file)
        for user in objects(json_body(probe.call("GET", "transfers", "uploads")))
        for directory in objects(user.get("directories"))
        for file in objects(directory.get("files"))
    ]
    if not listed:
        pytest.skip("the target has no upload to read: no peer has downloaded from it")
    username, upload = listed[0]
    mine = probe.call("GET", "transfers", "uploads", str(username))
    probe.expect_status(Transfer.TRANSFER_UPLOADS_USERNAME_200, mine, 200)
    got = probe.call("GET", "transfers", "uploads", str(username), str(upload.get("id")))
    probe.check(
        Transfer.TRANSFER_UPLOADS_GET_200,
        got.status_code == 200 and (json_body(got) or {}).get("id") == upload.get("id"),
        f"{request_line(got)} of a listed upload answered {got.status_code}",
    )
    network = oracle(probe.ctx)
    simulated = {p.get("username") for p in network.peers()} if network is not None else set()
    if probe.may_download and username in simulated:  # nobody real is downloading it
        cancelled = probe.call("DELETE", "transfers", "uploads", str(username), str(upload.get("id")))
        probe.expect_status(Transfer.TRANSFER_UPLOADS_CANCEL_204, cancelled, 204)
    probe.done()

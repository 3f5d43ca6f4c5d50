"""Users' probes: each kind of peer (sharing, empty, away, offline, unknown, slow, dropping) and
each kind of folder (open, locked, missing) asked about, every answer judged by the model against
what the network's peers share and are. The thin `conformance/suite/test_user_probes.py`
collects them.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from conformance.apis.users.ids import User
from conformance.apis.users.model import (
    Judgement,
    judge_browse,
    judge_endpoint,
    judge_folder,
    judge_info,
    judge_progress,
    judge_status,
)
from conformance.apis.users.probes import UsersProbe
from conformance.apis.users.reading import LIST, OBJECT
from conformance.checks.context import SuiteContext, request_line
from conformance.checks.probes import unknown_user
from conformance.checks.responses import json_body
from conformance.peers import browsing
from conformance.peers.library import SEPARATOR, Presence
from conformance.requirements.catalogue import Need
from conformance.requirements.registry import check

__all__ = [
    "probe",
    "test_a_browse_shows_every_folder_the_peer_shares_and_then_its_progress",
    "test_a_peer_that_does_not_answer_or_drops_the_connection_is_a_500",
    "test_an_empty_or_missing_directory_is_refused_with_400",
    "test_each_open_folder_answers_its_contents_and_no_other_folder_answers_one",
    "test_offline_and_unknown_users_are_not_found_but_their_status_is_offline",
    "test_status_and_endpoint_follow_the_presence_the_server_gives",
    "test_user_info_is_the_profile_the_peer_gave",
]


@pytest.fixture
def probe(conformance: SuiteContext) -> UsersProbe:
    return UsersProbe(conformance)


def report(probe: UsersProbe, judgement: Judgement, response: requests.Response) -> None:
    """One verdict per requirement the judgement names, its first problems quoted."""
    for requirement, problems in judgement.items():
        probe.check(requirement, not problems, f"{request_line(response)}: " + "; ".join(problems[:3]))


def answered(probe: UsersProbe, requirement: str, response: requests.Response, status: int = 200) -> Any:
    """The JSON body when the status is `status` (the verdict recorded either way), else None."""
    ok = probe.expect_status(requirement, response, status)
    return json_body(response) if ok and response.status_code == status else None


def note_reading(probe: UsersProbe, requirement: str, gap: str, reading: str | None, slskd: str) -> None:
    """Which accepted reading the server took, and the documentation gap when it is slskd's."""
    if reading is None:
        return
    probe.ctx.judge.took_reading(requirement, reading, f"answered as {reading}", check="probe")
    probe.check(gap, reading != slskd, f"answered the {reading} where the docs name another model")


@check(
    User.USER_BROWSE_200,
    User.USER_BROWSE_LOCKED,
    User.USER_FILE_NAMES,
    User.USER_BROWSE_STATUS_200,
    User.DOCGAP_USER_BROWSE_OBJECT,
    User.DOCGAP_USER_BROWSE_STATUS_OBJECT,
    kind="probe",
)
@pytest.mark.parametrize("kind", ["sharing", "empty", "away"])
def test_a_browse_shows_every_folder_the_peer_shares_and_then_its_progress(
    probe: UsersProbe, kind: str
) -> None:
    """A browse answers every open folder and every locked one, each file as the peer wrote it
    (a bare name under its folder's full path); right after, the browse's progress is complete."""
    probe.require_asking(Need.INCOMING)
    peer = probe.peer(kind)
    response = probe.read(peer.username, "browse")
    body = answered(probe, User.USER_BROWSE_200, response)
    if body is not None:
        reading, judgement = judge_browse(body, browsing.shares(peer))
        report(probe, judgement, response)
        note_reading(probe, User.USER_BROWSE_200, User.DOCGAP_USER_BROWSE_OBJECT, reading, OBJECT)
        progress = probe.read(peer.username, "browse/status")
        tracked = answered(probe, User.USER_BROWSE_STATUS_200, progress)
        if tracked is not None:
            reading, problems = judge_progress(tracked, peer.username)
            probe.check(User.USER_BROWSE_STATUS_200, not problems, f"{request_line(progress)}: {problems}")
            note_reading(
                probe, User.USER_BROWSE_STATUS_200, User.DOCGAP_USER_BROWSE_STATUS_OBJECT, reading, OBJECT
            )
    probe.done()


@check(
    User.USER_DIRECTORY_200,
    User.USER_DIRECTORY_MISSING,
    User.USER_FILE_NAMES,
    User.DOCGAP_USER_DIRECTORY_LIST,
    kind="probe",
)
def test_each_open_folder_answers_its_contents_and_no_other_folder_answers_one(probe: UsersProbe) -> None:
    """Each open folder of the sharing peer answers exactly that folder; a locked folder, a folder
    it does not share, a folder's parent and a name differing only in case answer none."""
    probe.require_asking(Need.INCOMING, post=True)
    peer = probe.peer("sharing")
    shares = browsing.shares(peer)
    for directory in shares.directories:
        response = probe.directory(peer.username, {"directory": directory.name})
        body = answered(probe, User.USER_DIRECTORY_200, response)
        if body is not None:
            reading, judgement = judge_folder(body, (directory,))
            report(probe, judgement, response)
            note_reading(probe, User.USER_DIRECTORY_200, User.DOCGAP_USER_DIRECTORY_LIST, reading, LIST)
    first = shares.directories[0].name
    others = [d.name for d in shares.locked_directories]
    others += [f"{first}{SEPARATOR}Not Shared Here", first.rsplit(SEPARATOR, 1)[0], first.upper()]
    for name in others:
        response = probe.directory(peer.username, {"directory": name})
        if probe.expect_status(User.USER_DIRECTORY_MISSING, response, 200) and response.status_code == 200:
            _, judgement = judge_folder(json_body(response), ())
            report(probe, judgement, response)
    probe.done()


@check(User.USER_INFO_200, kind="probe")
@pytest.mark.parametrize("kind", ["sharing", "empty", "away"])
def test_user_info_is_the_profile_the_peer_gave(probe: UsersProbe, kind: str) -> None:
    """The info is the peer's InfoResponse: its description, its picture (or none), its slots,
    its queue and whether it has a free slot."""
    probe.require_asking(Need.INCOMING)
    peer = probe.peer(kind)
    response = probe.read(peer.username, "info")
    body = answered(probe, User.USER_INFO_200, response)
    if body is not None:
        problems = judge_info(body, browsing.info(peer))
        probe.check(User.USER_INFO_200, not problems, f"{request_line(response)}: {problems[:3]}")
    probe.done()


@check(User.USER_STATUS_200, User.USER_ENDPOINT_200, kind="probe")
@pytest.mark.parametrize("kind", ["sharing", "away"])
def test_status_and_endpoint_follow_the_presence_the_server_gives(probe: UsersProbe, kind: str) -> None:
    """An online or away user's status is that presence, and its endpoint the address it
    listens on."""
    probe.require_asking(Need.INCOMING)
    peer = probe.peer(kind)
    status = probe.read(peer.username, "status")
    body = answered(probe, User.USER_STATUS_200, status)
    if body is not None:
        problems = judge_status(body, peer.presence)
        probe.check(User.USER_STATUS_200, not problems, f"{request_line(status)}: {problems}")
    endpoint = probe.read(peer.username, "endpoint")
    body = answered(probe, User.USER_ENDPOINT_200, endpoint)
    if body is not None:
        problems = judge_endpoint(body, probe.endpoint_of(peer.username))
        probe.check(User.USER_ENDPOINT_200, not problems, f"{request_line(endpoint)}: {problems}")
    probe.done()


@check(
    User.USER_STATUS_OFFLINE,
    User.USER_ENDPOINT_404,
    User.USER_INFO_404,
    User.USER_BROWSE_404,
    User.USER_DIRECTORY_404,
    User.USER_BROWSE_STATUS_404,
    kind="probe",
)
@pytest.mark.parametrize("kind", ["offline", "unknown"])
def test_offline_and_unknown_users_are_not_found_but_their_status_is_offline(
    probe: UsersProbe, kind: str
) -> None:
    """The server gives no address for an offline or unknown user: its endpoint, info, browse
    and folders are not found (and nobody browsed it), while its status is 200 Offline."""
    probe.require_asking(Need.OUTGOING)
    username = unknown_user() if kind == "unknown" else probe.peer(kind).username
    status = probe.read(username, "status")
    body = answered(probe, User.USER_STATUS_OFFLINE, status)
    if body is not None:
        problems = judge_status(body, Presence.OFFLINE)
        probe.check(User.USER_STATUS_OFFLINE, not problems, f"{request_line(status)}: {problems}")
    for what, requirement in (
        ("endpoint", User.USER_ENDPOINT_404),
        ("info", User.USER_INFO_404),
        ("browse", User.USER_BROWSE_404),
    ):
        probe.expect_status(requirement, probe.read(username, what), 404)
    probe.expect_status(User.USER_BROWSE_STATUS_404, probe.read(username, "browse/status"), 404)
    if probe.ctx.can_write:
        probe.expect_status(User.USER_DIRECTORY_404, probe.directory(username, {"directory": "Music"}), 404)
    probe.done()


@check(User.USER_PEER_500, User.DOCGAP_USER_STATUSES, kind="probe")
@pytest.mark.parametrize("kind", ["slow", "drops"])
def test_a_peer_that_does_not_answer_or_drops_the_connection_is_a_500(probe: UsersProbe, kind: str) -> None:
    """A browse, a user info and a folder's contents of a peer that never answers in time, or
    closes the connection instead, fail: 500 with the error's message (undocumented: a gap)."""
    probe.require_asking(Need.INCOMING)
    peer = probe.peer(kind)
    responses = [probe.read(peer.username, "browse"), probe.read(peer.username, "info")]
    if probe.ctx.can_write:
        folder = next(iter(browsing.shares(peer).directories), None)
        responses.append(probe.directory(peer.username, {"directory": folder.name if folder else "Music"}))
    for response in responses:
        if probe.expect_status(User.USER_PEER_500, response, 500):
            probe.check(
                User.DOCGAP_USER_STATUSES, False, f"{request_line(response)} answered an undocumented 500"
            )
    probe.done()


@check(User.USER_DIRECTORY_400, User.DOCGAP_USER_STATUSES, kind="probe")
def test_an_empty_or_missing_directory_is_refused_with_400(probe: UsersProbe) -> None:
    """A folder contents request naming no folder ({}, "" or a non-string) is refused: 400."""
    probe.require_asking(post=True)
    username = unknown_user()  # refused before any peer is asked: the user need not exist
    for body in ({}, {"directory": ""}, {"directory": None}):
        response = probe.directory(username, body)
        if probe.expect_status(User.USER_DIRECTORY_400, response, 400):
            probe.check(
                User.DOCGAP_USER_STATUSES, False, f"{request_line(response)} answered an undocumented 400"
            )
    probe.done()

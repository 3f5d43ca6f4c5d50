"""Users asked about drawn usernames and folders, each answer judged by the model.

Hypothesis draws a user (one of the network's peers, or a name nobody has) and a folder (one
the peer shares, open or locked, one of another peer, or a near miss: its parent, a child, the
same path in other case, another separator, text), and the folder's contents and the user's
status must be what the network's peers make them: the folder exactly (or none), the presence
the server gives, 404 for a user the server calls offline, 500 for a peer that drops the
connection. A slow peer is left out: each of its answers costs the network's response timeout.
The thin `conformance/suite/test_user_drawn.py` collects it.
"""

from __future__ import annotations

import hypothesis
import pytest
from hypothesis import strategies as st

from conformance.apis.users.ids import User
from conformance.apis.users.model import judge_folder, judge_status
from conformance.apis.users.probes import UsersProbe
from conformance.apis.users.suite.test_user_probes import report
from conformance.checks.context import SuiteContext, request_line
from conformance.checks.probes import unknown_user
from conformance.checks.responses import json_body
from conformance.cli.config import RunConfig
from conformance.peers import browsing
from conformance.peers.library import SEPARATOR, Answering, Presence, SharingPeer
from conformance.requirements.catalogue import Need
from conformance.requirements.registry import check

__all__ = ["test_drawn_users_and_folders_answer_as_the_network_says"]

MAX_EXAMPLES = 25  # each example is two requests; the probes above ask every kind once already


def near_misses(name: str) -> list[str]:
    """Folder paths a server that matched loosely would take for `name`."""
    parent = name.rsplit(SEPARATOR, 1)[0]
    return [
        parent,
        f"{name}{SEPARATOR}Deeper",
        name.swapcase(),
        name.replace(SEPARATOR, "/"),
        f"{name}{SEPARATOR}",
    ]


def folders(peers: list[SharingPeer]) -> st.SearchStrategy[str]:
    """Every folder the peers share (open and locked), their near misses, and text."""
    names = sorted({f.filename.rsplit(SEPARATOR, 1)[0] for peer in peers for f in peer.files})
    misses = sorted({miss for name in names for miss in near_misses(name)})
    return st.one_of(st.sampled_from(names), st.sampled_from(misses), st.text(min_size=1, max_size=12))


@check(User.USER_DIRECTORY_200, User.USER_DIRECTORY_MISSING, User.USER_STATUS_200, kind="probe")
def test_drawn_users_and_folders_answer_as_the_network_says(
    conformance: SuiteContext, conformance_settings: hypothesis.settings, conformance_config: RunConfig
) -> None:
    probe = UsersProbe(conformance)
    probe.require_asking(Need.INCOMING, post=True)
    peers = [p for p in probe.peers().values() if p.requests != Answering.SLOW]
    if not peers:
        pytest.skip("the network has no peer that answers in time")
    users = st.one_of(st.sampled_from([p.username for p in peers]), st.builds(unknown_user))
    known = {p.username: p for p in peers}

    @hypothesis.settings(
        conformance_settings, max_examples=min(conformance_settings.max_examples, MAX_EXAMPLES)
    )
    @hypothesis.seed(conformance_config.seed)
    @hypothesis.given(username=users, directory=folders(peers))
    def ask(username: str, directory: str) -> None:
        peer = known.get(username)
        status = probe.read(username, "status")
        presence = Presence.OFFLINE if peer is None else peer.presence
        requirement = User.USER_STATUS_OFFLINE if presence == Presence.OFFLINE else User.USER_STATUS_200
        if probe.expect_status(requirement, status, 200) and status.status_code == 200:
            problems = judge_status(json_body(status), presence)
            probe.check(requirement, not problems, f"{request_line(status)}: {problems}")
        response = probe.directory(username, {"directory": directory})
        if peer is None or not peer.online:
            probe.expect_status(User.USER_DIRECTORY_404, response, 404)
        elif peer.requests == Answering.DROPS:
            probe.expect_status(User.USER_PEER_500, response, 500)
        else:
            expected = browsing.folder_contents(peer, directory)
            requirement = User.USER_DIRECTORY_200 if expected else User.USER_DIRECTORY_MISSING
            if probe.expect_status(requirement, response, 200) and response.status_code == 200:
                report(probe, judge_folder(json_body(response), expected)[1], response)

    ask()
    probe.done()

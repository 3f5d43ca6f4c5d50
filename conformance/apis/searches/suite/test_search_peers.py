"""Searches' probe with the simulated network's peers: a response limit and the filters, judged
against what the network says each peer sent. Texts here are words the simulated peers share,
so this probe runs only where those peers are the whole network (the embedded server, or a
target proven on `conformance network`); the thin `conformance/suite/test_search_peers.py`
collects it.
"""

from __future__ import annotations

import pytest

from conformance.apis.searches.ids import Search
from conformance.apis.searches.model import MARGIN, SearchSpec, Sent
from conformance.apis.searches.oracle import SearchOracle, oracle
from conformance.apis.searches.probes import PROMPTLY, SearchProbe, timeout_unit, timeout_value
from conformance.apis.searches.reading import seconds
from conformance.apis.searches.suite.test_search_probes import LONG, _created, probe
from conformance.requirements.catalogue import Need
from conformance.requirements.registry import check

__all__ = ["probe", "test_the_response_limit_ends_a_search_and_the_filters_drop_what_they_should"]

# Words the default library (conformance/peers/library.yaml) gives many peers: the crowd of 30
# identical responders answers "chorus" at once; "overture" reaches one peer of each kind
# (a long queue, a slow one, one below the minimum, a late one, a wrong token, a hoarder).
CROWD_TEXT, KINDS_TEXT = "chorus", "overture"
FILTERS = {"minimumResponseFileCount": 2, "maximumPeerQueueLength": 1000, "minimumPeerUploadSpeed": 1000}
FILTERED = SearchSpec(
    KINDS_TEXT, min_files=2, max_queue=1000, min_speed=1000
)  # the model's reading of FILTERS


def _require_simulated_peers(probe: SearchProbe) -> SearchOracle:
    """The oracle of the simulated network (texts real users share go only there)."""
    probe.require_searches(Need.INCOMING)
    network = oracle(probe.ctx)
    if network is None or not network.peers():
        pytest.skip("needs the simulated network's sharing peers (the embedded server or --network-control)")
    return network


@check(Search.SEARCH_LIMIT_RESPONSES, Search.SEARCH_RESPONSES_FILTERED, kind="probe")
def test_the_response_limit_ends_a_search_and_the_filters_drop_what_they_should(probe: SearchProbe) -> None:
    """A crowd answering at once ends a search with responseLimit 3 `ResponseLimitReached`;
    with minimums and a maximum queue, a search shows exactly the timely responses that pass
    them (judged against what the network says each peer sent under the search's token)."""
    network = _require_simulated_peers(probe)
    unit = timeout_unit(probe)
    made = _created(probe, probe.create(CROWD_TEXT, responseLimit=3, searchTimeout=timeout_value(LONG, unit)))
    if isinstance(made.get("id"), str):
        ended = probe.wait_complete(made["id"], within=2 * PROMPTLY) or {}
        probe.check(
            Search.SEARCH_LIMIT_RESPONSES,
            ended.get("state") == "Completed, ResponseLimitReached"
            and int(ended.get("responseCount") or 0) >= 3,
            f"30 peers answered a search with responseLimit 3: {ended.get('state')!r}, "
            f"responseCount {ended.get('responseCount')!r}",
        )
    made = _created(probe, probe.create(KINDS_TEXT, searchTimeout=timeout_value(1.0, unit), **FILTERS))
    search_id, token = made.get("id"), made.get("token")
    if not isinstance(search_id, str):
        probe.done()
        return
    ended = probe.wait_complete(search_id, within=4 * PROMPTLY) or {}
    end = seconds(ended.get("endedAt"))
    if end is None:
        pytest.skip(f"the filtered search did not end in time ({ended.get('state')!r})")
    sent = [
        Sent.of(answer)
        for received in network.searches()
        if received.get("token") == token
        for answer in received.get("responses") or []
        if (answer.get("response") or {}).get("token") == token
    ]
    timely = {a.response.get("username") for a in sent if a.sent_at <= end - MARGIN}
    judged = timely | {a.response.get("username") for a in sent if a.sent_at >= end + MARGIN}
    passing = {a.response.get("username") for a in sent if FILTERED.passes_filters(a.response)}
    shown = {r.get("username") for r in probe.responses(search_id)}
    dropped_shown = sorted((shown & judged) - passing)
    passing_lost = sorted((timely & passing) - shown)
    probe.check(
        Search.SEARCH_RESPONSES_FILTERED,
        not dropped_shown and not passing_lost,
        f"filters {FILTERS}: shown though filtered out {dropped_shown}, passing yet missing {passing_lost}",
    )
    probe.done()

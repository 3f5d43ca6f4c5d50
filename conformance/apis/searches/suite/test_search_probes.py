"""Searches' probes: fixed request sequences, one question each, named after the requirements
they answer. They need no peer: every text is one nobody shares, so a search here is answered
by no one and ends by its timeout or a cancel; what peers' responses do is the model's to
check (`conformance.apis.searches.rules`). The thin `conformance/suite/test_search_probes.py`
collects them; each deletes every search it created.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from conformance.apis.searches.ids import Search
from conformance.apis.searches.probes import (
    COUNTS,
    GUID,
    PROMPTLY,
    RUNNING,
    SearchProbe,
    is_complete_state,
    timeout_unit,
    timeout_value,
    unique_text,
    unknown_id,
)
from conformance.checks.context import SuiteContext, request_line
from conformance.checks.responses import an_object, json_body, objects
from conformance.requirements.catalogue import Need
from conformance.requirements.registry import check

NOT_A_GUID = "not-a-guid"  # bound by slskd to the empty GUID, which no search has
NUMBERS = (
    "searchTimeout",
    "responseLimit",
    "fileLimit",
    "minimumResponseFileCount",
    "maximumPeerQueueLength",
    "minimumPeerUploadSpeed",
)
LONG = 30.0  # seconds a search that is cancelled anyway is given: it never ends by itself here


@pytest.fixture
def probe(conformance: SuiteContext) -> SearchProbe:
    return SearchProbe(conformance)


@check(
    Search.SEARCH_LIST_200,
    Search.SEARCH_LIST_NO_RESPONSES,
    Search.SEARCH_STATE_STRINGS,
    Search.SEARCH_STATE_FORWARD,
    kind="probe",
)
def test_the_list_is_an_array_of_searches_without_responses(probe: SearchProbe) -> None:
    """GET /searches answers an array whose items carry no responses and well-formed states."""
    response = probe.call("GET", "searches")
    body = json_body(response)
    probe.check(
        Search.SEARCH_LIST_200,
        response.status_code == 200 and isinstance(body, list),
        f"GET /searches answered {response.status_code} {probe.ctx.body_excerpt(response)}",
    )
    items = objects(body)
    carrying = [item.get("id") for item in items if item.get("responses")]
    if items:
        probe.check(
            Search.SEARCH_LIST_NO_RESPONSES, not carrying, f"list items carry responses: {carrying[:3]}"
        )
        for item in items:
            probe._saw(item)
        problems = [p for item in items if (p := probe.completion_problem(item))]
        probe.check(Search.SEARCH_STATE_FORWARD, not problems, "; ".join(problems[:3]))
    probe.check_states()
    probe.done()


@check(Search.SEARCH_GET_404, Search.SEARCH_RESPONSES_404, kind="probe")
def test_reads_of_an_unknown_id_answer_404(probe: SearchProbe) -> None:
    """An id no search has, and one that is no GUID at all, are not found by either read."""
    for search_id in (unknown_id(), NOT_A_GUID):
        probe.expect_status(Search.SEARCH_GET_404, probe.call("GET", "searches", search_id), 404)
        response = probe.call("GET", "searches", search_id, "responses")
        probe.expect_status(Search.SEARCH_RESPONSES_404, response, 404)
    probe.done()


@check(Search.SEARCH_CANCEL_404, Search.DOCGAP_SEARCH_CANCEL_404, Search.SEARCH_DELETE_404, kind="probe")
def test_writes_to_an_unknown_id_answer_404(probe: SearchProbe) -> None:
    """Cancelling or deleting a search nobody created answers 404 (for PUT, a status its docs
    do not list: a documentation gap)."""
    probe.require_changes()
    for search_id in (unknown_id(), NOT_A_GUID):
        cancelled = probe.cancel(search_id)
        probe.expect_status(Search.SEARCH_CANCEL_404, cancelled, 404)
        probe.check(
            Search.DOCGAP_SEARCH_CANCEL_404,
            cancelled.status_code != 404,
            f"{request_line(cancelled)} answered 404, which its docs (200, 304) do not list",
        )
        probe.expect_status(Search.SEARCH_DELETE_404, probe.delete(search_id), 404)
    probe.done()


@check(
    Search.SEARCH_CREATE_400_BLANK,
    Search.SEARCH_CREATE_400_RANGE,
    Search.SEARCH_CREATE_400_SINGLE_CHAR,
    Search.DOCGAP_SEARCH_CREATE_STATUSES,
    kind="probe",
)
def test_malformed_posts_answer_400_and_start_no_search(probe: SearchProbe) -> None:
    """A blank text, a negative number, a zero timeout and a text of single-character terms
    only are refused with 400; the first three store nothing."""
    probe.require_searches()
    before = {item.get("id") for item in probe.listing()}
    for body in ({}, {"searchText": ""}, {"searchText": "   "}, {"searchText": None}):
        response = probe.create(**body)
        probe.expect_status(Search.SEARCH_CREATE_400_BLANK, response, 400)
    ranged: list[str] = []
    for field, value in ((name, -1) for name in NUMBERS):
        ranged.append(text := unique_text())
        probe.expect_status(Search.SEARCH_CREATE_400_RANGE, probe.create(text, **{field: value}), 400)
    ranged.append(text := unique_text())
    probe.expect_status(Search.SEARCH_CREATE_400_RANGE, probe.create(text, searchTimeout=0), 400)
    logged_out = probe.ctx.offers is Need.CREATED
    for text in ("a", "a b c", "x -slskdconformance"):
        response = probe.create(text)
        if logged_out and response.status_code == 409:
            continue  # not logged in: refused before the terms are read, which says nothing here
        probe.expect_status(Search.SEARCH_CREATE_400_SINGLE_CHAR, response, 400)
    new = [item for item in probe.listing() if item.get("id") not in before]
    probe.created += [item["id"] for item in new if isinstance(item.get("id"), str)]  # tidied at the end
    blank = [item.get("id") for item in new if not str(item.get("searchText") or "").strip()]
    probe.check(Search.SEARCH_CREATE_400_BLANK, not blank, f"refused blank searches were stored: {blank}")
    stored = [item.get("searchText") for item in new if item.get("searchText") in ranged]
    probe.check(
        Search.SEARCH_CREATE_400_RANGE, not stored, f"refused out-of-range searches were stored: {stored}"
    )
    probe.done()


def check_stored_row(probe: SearchProbe, row: dict[str, Any], text: str) -> None:
    """What a stored search that is not running must show, read, cancelled and deleted: the
    checks that need no peer and hold for a refused POST's errored row as for a cancelled search."""
    search_id = row["id"]
    listing = probe.listing()
    listed = [item for item in listing if item.get("id") == search_id]
    carrying = [item.get("id") for item in listing if item.get("responses")]
    said = f"list items carry responses: {carrying[:3]}"
    probe.check(Search.SEARCH_LIST_NO_RESPONSES, not carrying, said)
    got = probe.search(search_id)
    probe.check(
        Search.SEARCH_GET_200,
        got is not None and got.get("id") == search_id and got.get("searchText") == text,
        f"GET /searches/{search_id} gave {got!r}",
    )
    same = ("id", "searchText", "token", "state", *COUNTS)
    probe.check(
        Search.SEARCH_LIST_CONTAINS,
        len(listed) == 1 and got is not None and all(listed[0].get(k) == got.get(k) for k in same),
        f"the list shows {listed!r} for the stored search {got!r}",
    )
    if got is not None:
        probe.check(Search.SEARCH_COUNTS, (p := probe.counts_problem(got)) is None, p or "")
        probe.check(Search.SEARCH_STATE_FORWARD, (q := probe.completion_problem(got)) is None, q or "")
    answered = probe.call("GET", "searches", search_id, "responses")
    probe.check(
        Search.SEARCH_RESPONSES_200,
        answered.status_code == 200 and isinstance(json_body(answered), list),
        f"{request_line(answered)} answered {answered.status_code} {probe.ctx.body_excerpt(answered)}",
    )
    # Cancelling a search that is not in progress: 304 (docs) or 200 (slskd), and nothing changes.
    cancelled = probe.cancel(search_id)
    if probe.expect_status(Search.SEARCH_CANCEL_200, cancelled, 304):
        reading = "not-modified" if cancelled.status_code == 304 else "always-200"
        state = (got or row).get("state")
        what = f"{request_line(cancelled)} of a search {state!r} answered {cancelled.status_code}"
        probe.ctx.judge.took_reading(Search.SEARCH_CANCEL_200, reading, what, check="probe")
    probe.check(
        Search.DOCGAP_SEARCH_CANCEL_IDLE,
        cancelled.status_code != 200,
        f"{request_line(cancelled)} of a search not in progress answered 200, not the documented 304",
    )
    after = probe.search(search_id)
    probe.check(
        Search.SEARCH_CANCEL_STATE,
        got is None or (after or {}).get("state") == got.get("state"),
        f"cancelling a completed search changed its state from {(got or {}).get('state')!r} "
        f"to {(after or {}).get('state')!r}",
    )
    probe.expect_status(Search.SEARCH_DELETE_204, probe.delete(search_id), 204)
    gone = probe.call("GET", "searches", search_id)
    gone_responses = probe.call("GET", "searches", search_id, "responses")
    still = [item.get("id") for item in probe.listing() if item.get("id") == search_id]
    probe.check(
        Search.SEARCH_DELETE_GONE,
        gone.status_code == 404 and gone_responses.status_code == 404 and not still,
        f"after DELETE: GET {gone.status_code}, GET responses {gone_responses.status_code}, "
        f"listed {bool(still)}",
    )
    probe.expect_status(Search.SEARCH_DELETE_404, probe.delete(search_id), 404)


STORED_ROW = (
    Search.SEARCH_GET_200,
    Search.SEARCH_LIST_NO_RESPONSES,
    Search.SEARCH_LIST_CONTAINS,
    Search.SEARCH_COUNTS,
    Search.SEARCH_STATE_FORWARD,
    Search.SEARCH_RESPONSES_200,
    Search.SEARCH_CANCEL_200,
    Search.DOCGAP_SEARCH_CANCEL_IDLE,
    Search.SEARCH_CANCEL_STATE,
    Search.SEARCH_DELETE_204,
    Search.SEARCH_DELETE_GONE,
    Search.SEARCH_DELETE_404,
    Search.SEARCH_STATE_STRINGS,
)


@check(
    Search.SEARCH_CREATE_409_LOGGED_OUT,
    Search.SEARCH_CREATE_409_ROW,
    Search.DOCGAP_SEARCH_CREATE_STATUSES,
    *STORED_ROW,
    kind="probe",
)
def test_a_post_when_not_logged_in_answers_409_and_leaves_an_errored_row(probe: SearchProbe) -> None:
    """Not logged in to Soulseek, a valid POST answers 409 and leaves a `Completed, Errored`
    row that ended when it started; that row is read, cancelled and deleted like any other."""
    probe.require_logged_out()
    text = unique_text()
    response = probe.create(text)
    probe.expect_status(Search.SEARCH_CREATE_409_LOGGED_OUT, response, 409)
    rows = probe.find(text)
    probe.created += [row["id"] for row in rows if isinstance(row.get("id"), str)]
    row = rows[0] if len(rows) == 1 else {}
    probe.check(
        Search.SEARCH_CREATE_409_ROW,
        row.get("state") == "Completed, Errored"
        and row.get("isComplete") is True
        and "startedAt" in row
        and row.get("endedAt") == row.get("startedAt"),
        f"the refused POST left {rows!r}",
    )
    if isinstance(row.get("id"), str):
        check_stored_row(probe, row, text)
    probe.check_states()
    probe.done()


def _created(probe: SearchProbe, response: Any) -> dict[str, Any]:
    return an_object(json_body(response)) or {}


@check(
    Search.SEARCH_CREATE_OK,
    Search.SEARCH_CREATE_OBJECT,
    Search.SEARCH_CREATE_ID_HONOURED,
    Search.DOCGAP_SEARCH_POST_RUNNING,
    Search.DOCGAP_SEARCH_CREATE_STATUSES,
    *STORED_ROW,
    kind="probe",
)
def test_a_search_is_stored_as_sent_cancelled_while_running_and_deleted(probe: SearchProbe) -> None:
    """A POST with an id and a text (outer spaces kept) answers 200 with that search, still
    running; cancelled in progress it is `Completed, Cancelled` at once; then it is read,
    cancelled again (idle) and deleted like any stored search."""
    probe.require_searches(Need.OUTGOING)
    long = timeout_value(LONG, timeout_unit(probe))
    text, given = f" {unique_text()} ", unknown_id()
    response = probe.create(text, id=given, searchTimeout=long)
    probe.expect_status(Search.SEARCH_CREATE_OK, response, 200)
    made = _created(probe, response)
    state = made.get("state")
    problems = [
        f"{name} is {made.get(name)!r}"
        for name, ok in (
            ("id", isinstance(made.get("id"), str) and GUID.match(made["id"]) is not None),
            ("searchText", made.get("searchText") == text),
            ("token", isinstance(made.get("token"), int) and not isinstance(made.get("token"), bool)),
            ("state", state in RUNNING or is_complete_state(state)),
            ("isComplete", made.get("isComplete") is is_complete_state(state)),
            ("startedAt", isinstance(made.get("startedAt"), str)),
            *((name, made.get(name) == 0) for name in COUNTS),
        )
        if not ok
    ]
    probe.check(Search.SEARCH_CREATE_OBJECT, not problems, f"the POST's answer: {'; '.join(problems)}")
    if response.status_code == 200:
        probe.check(
            Search.DOCGAP_SEARCH_POST_RUNNING,
            is_complete_state(state),
            f"POST /searches answered 200 at once, the search {state!r}, not completed as its docs say",
        )
        reading = "completed" if is_complete_state(state) else "running"
        probe.ctx.judge.took_reading(
            Search.SEARCH_CREATE_OK, reading, f"the POST answered with the search {state!r}", check="probe"
        )
    found = probe.search(given)
    probe.check(
        Search.SEARCH_CREATE_ID_HONOURED,
        made.get("id") == given and found is not None and found.get("searchText") == text,
        f"POST with id {given} answered id {made.get('id')!r}; GET /searches/{given} gave {found!r}",
    )
    search_id = made.get("id") if isinstance(made.get("id"), str) else given
    running = probe.wait_for(
        search_id, lambda s: s.get("state") == "InProgress" or is_complete_state(s.get("state"))
    )
    if running is not None and running.get("state") == "InProgress":
        cancelled = probe.cancel(search_id)
        probe.check(
            Search.SEARCH_CANCEL_200,
            cancelled.status_code == 200,
            f"{request_line(cancelled)} of a search in progress answered {cancelled.status_code}",
        )
        ended = probe.wait_complete(search_id)
        probe.check(
            Search.SEARCH_CANCEL_STATE,
            (ended or {}).get("state") == "Completed, Cancelled",
            f"{PROMPTLY} s after PUT the search is {(ended or {}).get('state')!r}, "
            "not 'Completed, Cancelled'",
        )
    stored = probe.wait_complete(search_id) or {}
    if is_complete_state(stored.get("state")):
        check_stored_row(probe, stored, text)
    probe.check_states()
    probe.done()


@check(
    Search.DOCGAP_SEARCH_TIMEOUT_UNIT,
    Search.SEARCH_TIMEOUT_ENDS,
    Search.SEARCH_COMPLETE_REASON,
    Search.SEARCH_COUNTS,
    kind="probe",
)
def test_a_search_nobody_answers_times_out_after_its_timeout(probe: SearchProbe) -> None:
    """The unit searchTimeout is read in (docs: seconds; slskd: milliseconds), and a search
    nobody answers ends `Completed, TimedOut`, not before its timeout and soon after it."""
    probe.require_searches(Need.OUTGOING)
    unit = timeout_unit(probe)
    if unit is None:
        pytest.skip("the searchTimeout probe's search did not run or ended otherwise: no unit to read")
    seconds = 1.0 if unit == "s" else 0.3
    started = time.monotonic()
    response = probe.create(unique_text(), searchTimeout=timeout_value(seconds, unit))
    search_id = _created(probe, response).get("id")
    if response.status_code != 200 or not isinstance(search_id, str):
        pytest.skip(f"POST /searches answered {response.status_code}: no search to time out")
    ended = probe.wait_complete(search_id, within=seconds + 2 * PROMPTLY) or {}
    took = time.monotonic() - started
    state = ended.get("state")
    probe.check(
        Search.SEARCH_TIMEOUT_ENDS,
        state == "Completed, TimedOut" and took >= 0.8 * seconds,
        f"searchTimeout {seconds} s ({unit}): after {took:.2f} s the search is {state!r}",
    )
    if is_complete_state(state):
        probe.check(
            Search.SEARCH_COMPLETE_REASON,
            state == "Completed, TimedOut",
            f"a search nobody answered and nobody cancelled ended {state!r}",
        )
        probe.check(Search.SEARCH_COUNTS, (p := probe.counts_problem(ended)) is None, p or "")
    probe.done()


@check(
    Search.SEARCH_CONCURRENCY,
    Search.SEARCH_IDS_UNIQUE,
    Search.SEARCH_CANCEL_200,
    Search.SEARCH_CANCEL_STATE,
    kind="probe",
)
def test_at_most_two_searches_run_at_once(probe: SearchProbe) -> None:
    """Three searches nobody answers: two run, the third waits Queued, and runs as soon as
    one of the two is cancelled. Their ids (and tokens) are all different, and different
    from the id of a search that ended before them."""
    probe.require_searches(Need.OUTGOING)
    others = [i.get("id") for i in probe.listing() if not is_complete_state(i.get("state"))]
    if others:
        pytest.skip(f"the target is already running searches ({len(others)}): their slots are not ours")
    long = timeout_value(LONG, timeout_unit(probe))
    # One search first, ended before the three start: an id handed out again once its search
    # ended is as wrong as two running searches sharing one.
    first = _created(probe, probe.create(unique_text(), searchTimeout=long))
    if isinstance(first.get("id"), str):
        probe.cancel(first["id"])
        probe.wait_complete(first["id"])
    made = [_created(probe, probe.create(unique_text(), searchTimeout=long)) for _ in range(3)]
    ids = [m.get("id") for m in made]
    tokens = [m.get("token") for m in made]
    probe.check(
        Search.SEARCH_IDS_UNIQUE,
        len({first.get("id"), *ids}) == 4 and None not in ids and len(set(tokens)) == 3,
        f"four searches got ids {[first.get('id'), *ids]}; the three at once tokens {tokens}",
    )
    if len(set(ids)) != 3 or not all(isinstance(i, str) for i in ids):
        probe.done()
        return
    states = _settled(probe, ids)
    running = [i for i in ids if states.get(i) == "InProgress"]
    waiting = [i for i in ids if states.get(i) == "Queued"]
    probe.check(
        Search.SEARCH_CONCURRENCY,
        len(running) == 2 and len(waiting) == 1,
        f"three searches at once: {[states.get(i) for i in ids]}, expected two InProgress and one Queued",
    )
    if running and waiting:
        cancelled = probe.cancel(running[0])
        probe.check(
            Search.SEARCH_CANCEL_200,
            cancelled.status_code == 200,
            f"{request_line(cancelled)} of a search in progress answered {cancelled.status_code}",
        )
        ended = probe.wait_complete(running[0]) or {}
        probe.check(
            Search.SEARCH_CANCEL_STATE,
            ended.get("state") == "Completed, Cancelled",
            f"{PROMPTLY} s after PUT the search is {ended.get('state')!r}, not 'Completed, Cancelled'",
        )
        moved = probe.wait_for(waiting[0], lambda s: s.get("state") != "Queued") or {}
        probe.check(
            Search.SEARCH_CONCURRENCY,
            moved.get("state") == "InProgress",
            f"a slot freed, yet the queued search is {moved.get('state')!r} {PROMPTLY} s later",
        )
    probe.check_states()
    probe.done()


def _settled(probe: SearchProbe, ids: list[str]) -> dict[str, Any]:
    """The searches' states once none is Requested any more (or a second passed)."""
    deadline = time.monotonic() + PROMPTLY
    while True:
        states = {i: (probe.search(i) or {}).get("state") for i in ids}
        if "Requested" not in states.values() and sum(s == "InProgress" for s in states.values()) >= min(
            2, len(ids)
        ):
            return states
        if time.monotonic() >= deadline:
            return states
        time.sleep(0.05)

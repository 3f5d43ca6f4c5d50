"""Searches' probe: the calls its probes (and the model) make, each answer judged.

The engine's `Probe` asks and judges; this one knows the API's six routes (so every answer is
checked per response under its operation's label), creates searches for texts no simulated or
real user shares (`unique_text`), polls a search until a state is reached, and deletes every
search it created when it is done, so a run leaves the target's list as it found it. It also
measures, once per run, the unit the target reads `searchTimeout` in (`timeout_unit`): the docs
say seconds, slskd reads milliseconds, and every check that ends a search by its timeout needs
to know which.
"""

from __future__ import annotations

import re
import secrets
import time
import uuid
from collections.abc import Callable
from itertools import pairwise
from typing import Any, Literal

import pytest
import requests

from conformance.apis.searches.ids import Search
from conformance.apis.searches.oracle import CONSENT
from conformance.checks.context import SuiteContext, request_line
from conformance.checks.probes import Probe
from conformance.checks.responses import an_object, json_body, objects
from conformance.requirements.catalogue import Need

Unit = Literal["ms", "s"]

# The states a search shows: the three before completion and `Completed, <reason>`.
RUNNING = ("Requested", "Queued", "InProgress")
REASONS = ("ResponseLimitReached", "FileLimitReached", "TimedOut", "Cancelled", "Errored")
STATES = frozenset((*RUNNING, *(f"Completed, {reason}" for reason in REASONS)))
ORDER = {"Requested": 0, "Queued": 1, "InProgress": 2}  # Completed, <reason>: 3
DOCUMENTED_POST = frozenset({200, 400, 500})  # what the docs list for POST /searches
COUNTS = ("responseCount", "fileCount", "lockedFileCount")
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

NEEDS_LOGGED_OUT = "needs a target not logged in to the Soulseek network (POST /searches answers 409 there)"

# Seconds a probe waits for a state: enough for the embedded server and a loopback network,
# far below the default search timeout (never wait out 15 s).
PROMPTLY = 1.0
POLLS = (0.02, 0.05, 0.1, 0.2)  # the pauses between reads, the last one repeated


def unique_text() -> str:
    """A search text no user's file matches: its hex word is in nobody's share."""
    return f"slskd-conformance-{secrets.token_hex(5)}"


def unknown_id() -> str:
    """A GUID no search has (reads and writes of it must answer 404)."""
    return str(uuid.uuid4())


def operation_label(method: str, segments: tuple[str | int, ...]) -> str:
    """The spec's label for a searches route, from the concrete segments."""
    if len(segments) == 1:
        return f"{method} /searches"
    if len(segments) == 3 and segments[-1] == "responses":
        return f"{method} /searches/{{id}}/responses"
    return f"{method} /searches/{{id}}"


def rank(state: Any) -> int | None:
    """Where a state stands in Requested → Queued → InProgress → Completed (None: not a state)."""
    if not isinstance(state, str) or state not in STATES:
        return None
    return ORDER.get(state, 3)


def is_complete_state(state: Any) -> bool:
    return isinstance(state, str) and state.startswith("Completed, ")


class SearchProbe(Probe):
    """A `Probe` that speaks Searches; every search it creates it deletes again (`done`)."""

    def __init__(self, ctx: SuiteContext) -> None:
        super().__init__(ctx)
        self.created: list[str] = []  # ids to cancel and delete at the end, in creation order
        self.seen: dict[str, list[str]] = {}  # id → the states read, in order (SEARCH-STATE-FORWARD)

    def operation(self, method: str, segments: tuple[str | int, ...]) -> str | None:
        return operation_label(method, segments) if segments and segments[0] == "searches" else None

    # --- what this target allows ------------------------------------------------------------
    @property
    def may_change(self) -> bool:
        """Whether this run may PUT and DELETE searches: the full profile (the embedded server,
        or a live target given it on purpose); no write shape of the safe-writes profile is
        about searches."""
        return self.ctx.can_write and self.ctx.writable_users is None

    @property
    def may_search(self) -> bool:
        """Whether this run may POST searches too: a search reaches every user of the network,
        so also the run's consent (`SuiteContext.may_reach_peers`, contract §7: the embedded
        server, a target proven on the simulated network, or `--allow-searches`)."""
        return self.may_change and self.ctx.may_reach_peers(CONSENT)

    def require_searches(self, need: Need = Need.NOTHING) -> None:
        """Skip, naming why, unless this run may create searches and the target shows `need`."""
        if not self.may_change:
            pytest.skip("needs the full profile: searches are cancelled and deleted again")
        if not self.may_search:
            pytest.skip(f"needs consent to searching: give --allow-{CONSENT} or --network-control")
        self.require(need)

    def require_changes(self) -> None:
        """Skip unless this run may PUT and DELETE searches (of ids nobody has: no peer hears)."""
        if not self.may_change:
            pytest.skip("needs the full profile: the safe-writes profile sends no searches' writes")

    def require_logged_out(self) -> None:
        """Skip unless the target is known not to be logged in to Soulseek (the 409 cases)."""
        self.require_searches()
        if self.ctx.offers is not Need.CREATED:
            pytest.skip(
                "needs a target not logged in to the Soulseek network (POST /searches answers 409 there)"
            )

    # --- calls ---------------------------------------------------------------------------------
    def create(self, text: str | None = None, **fields: Any) -> requests.Response:
        """POST a search (`searchText` = `text` unless None, then the other fields as given);
        the id of anything it stores is kept to delete at the end. Judges whether the status
        is one the docs list (DOCGAP-SEARCH-CREATE-STATUSES)."""
        body = ({} if text is None else {"searchText": text}) | fields
        response = self.call("POST", "searches", json=body)
        status = response.status_code
        self.check(
            Search.DOCGAP_SEARCH_CREATE_STATUSES,
            status in DOCUMENTED_POST,
            f"{request_line(response)} answered {status}, which its docs (200, 400, 500) do not list",
        )
        made = an_object(json_body(response)) or {}
        if status < 300 and isinstance(made.get("id"), str):
            self.created.append(made["id"])
            self._saw(made)
        elif isinstance(fields.get("id"), str):
            self.created.append(fields["id"])  # a refused POST may still store its row
        return response

    def search(self, search_id: str, **params: Any) -> dict[str, Any] | None:
        """GET /searches/{id} (None unless 200 with an object); its state is noted."""
        response = self.call("GET", "searches", search_id, params=params or None)
        found = an_object(json_body(response)) if response.status_code == 200 else None
        if found is not None:
            self._saw(found)
        return found

    def responses(self, search_id: str) -> list[dict[str, Any]]:
        response = self.call("GET", "searches", search_id, "responses")
        return objects(json_body(response)) if response.status_code == 200 else []

    def listing(self) -> list[dict[str, Any]]:
        found = objects(json_body(self.call("GET", "searches")))
        for item in found:
            self._saw(item)
        return found

    def cancel(self, search_id: str) -> requests.Response:
        return self.call("PUT", "searches", search_id)

    def delete(self, search_id: str) -> requests.Response:
        return self.call("DELETE", "searches", search_id)

    def find(self, text: str) -> list[dict[str, Any]]:
        """The listed searches with exactly this searchText."""
        return [item for item in self.listing() if item.get("searchText") == text]

    def wait_for(
        self, search_id: str, done: Callable[[dict[str, Any]], bool], within: float = PROMPTLY
    ) -> dict[str, Any] | None:
        """Read the search until `done(search)` holds or `within` seconds passed; the last read
        (None when the search is not found)."""
        deadline = time.monotonic() + within
        pauses = iter(POLLS)
        while True:
            found = self.search(search_id)
            if found is None or done(found) or time.monotonic() >= deadline:
                return found
            time.sleep(min(next(pauses, POLLS[-1]), max(0.0, deadline - time.monotonic())))

    def wait_complete(self, search_id: str, within: float = PROMPTLY) -> dict[str, Any] | None:
        return self.wait_for(search_id, lambda s: is_complete_state(s.get("state")), within)

    # --- judging what was read ------------------------------------------------------------------
    def _saw(self, search: dict[str, Any]) -> None:
        if isinstance(search.get("id"), str):
            self.seen.setdefault(search["id"], []).append(search.get("state"))

    def check_states(self) -> None:
        """SEARCH-STATE-STRINGS and SEARCH-STATE-FORWARD over every state this probe read."""
        shown = [(sid, state) for sid, states in self.seen.items() for state in states]
        if not shown:
            return
        bad = sorted({repr(state) for _, state in shown if rank(state) is None})
        self.check(Search.SEARCH_STATE_STRINGS, not bad, f"states outside the documented strings: {bad[:5]}")
        backwards = []
        for sid, states in self.seen.items():
            ranks = [r for r in map(rank, states) if r is not None]
            finals = {s for s in states if is_complete_state(s)}
            if any(later < earlier for earlier, later in pairwise(ranks)) or len(finals) > 1:
                backwards.append(f"{sid}: {' → '.join(map(str, states))}")
        # (on a target not logged in only errored rows are read: the judge drops this verdict there)
        self.check(Search.SEARCH_STATE_FORWARD, not backwards, f"states moved backwards: {backwards[:3]}")

    def completion_problem(self, search: dict[str, Any]) -> str | None:
        """Why a search's isComplete/endedAt disagree with its state (None: they agree)."""
        complete = is_complete_state(search.get("state"))
        if search.get("isComplete") is not complete:
            return f"state {search.get('state')!r} with isComplete {search.get('isComplete')!r}"
        if ("endedAt" in search) is not complete:
            return f"state {search.get('state')!r} with endedAt {search.get('endedAt')!r}"
        return None

    def counts_problem(self, search: dict[str, Any], expected: int = 0) -> str | None:
        """Why the counts of a search nobody answered are not 0 (None: they are)."""
        wrong = {name: search.get(name) for name in COUNTS if search.get(name) != expected}
        return f"{search.get('id')}: counts {wrong}, expected {expected}" if wrong else None

    # --- the end of a probe -------------------------------------------------------------------------
    def tidy(self) -> None:
        """Cancel and delete every search this probe created, unjudged (what a search's checks
        judge they read themselves): the target's list is as the probe found it."""
        for search_id in dict.fromkeys(self.created):
            try:
                self.ctx.call("PUT", "searches", search_id)
                self.ctx.call("DELETE", "searches", search_id)
            except requests.RequestException:
                pass
        self.created.clear()

    def done(self) -> None:
        self.tidy()
        super().done()


# --- the unit of searchTimeout, measured once per run ---------------------------------------
_UNITS: dict[int, tuple[SuiteContext, Unit | None]] = {}
TIMEOUT_PROBE = 5  # ms reading: ends at once; seconds reading: 5 s, so it is cancelled instead
UNIT_WINDOW = 0.5  # seconds: a 5 ms search has long ended by then, a 5 s one is far from it


def timeout_unit(probe: SearchProbe) -> Unit | None:
    """The unit this run's target reads `searchTimeout` in, measured the first time a check
    asks (then cached for the run): a search for a text nobody shares with searchTimeout 5
    that completes TimedOut within half a second reads milliseconds (slskd), one still running
    then reads seconds (the docs) and is cancelled. None when no search can run here (not
    logged in, or this run may not search). Records DOCGAP-SEARCH-TIMEOUT-UNIT."""
    cached = _UNITS.get(id(probe.ctx))
    if cached is not None and cached[0] is probe.ctx:
        return cached[1]
    unit = _measure_unit(probe) if probe.may_search and probe.ctx.sends_succeed else None
    _UNITS[id(probe.ctx)] = (probe.ctx, unit)
    if unit is not None:
        probe.ctx.timeout_unit = unit  # type: ignore[attr-defined]  # the model reads it (rules.detect_unit)
    return unit


def _measure_unit(probe: SearchProbe) -> Unit | None:
    response = probe.create(unique_text(), searchTimeout=TIMEOUT_PROBE)
    made = an_object(json_body(response)) or {}
    if response.status_code != 200 or not isinstance(made.get("id"), str):
        return None
    ended = probe.wait_complete(made["id"], within=UNIT_WINDOW)
    state = (ended or {}).get("state")
    if state == "Completed, TimedOut":
        unit: Unit | None = "ms"
    elif not is_complete_state(state):
        unit = "s"
        probe.cancel(made["id"])
    else:
        return None  # ended otherwise (errored): says nothing of the unit
    probe.check(
        Search.DOCGAP_SEARCH_TIMEOUT_UNIT,
        unit == "s",
        f"searchTimeout {TIMEOUT_PROBE} ended the search {state!r} within {UNIT_WINDOW} s: "
        "it is read in milliseconds",
    )
    return unit


def timeout_value(seconds: float, unit: Unit | None) -> int:
    """The searchTimeout that means `seconds` in `unit` (whole seconds, at least 1, for the
    seconds reading; milliseconds, at least the minimum 5, otherwise)."""
    if unit == "s":
        return max(1, round(seconds))
    return max(5, round(seconds * 1000))

"""The rules of the searches state machine: what a client of slskd does with its searches.

Create a search (its text drawn from the words the network's peers share, so that it matches
many peers, some, or none; its limits and filters drawn), let it run to its end or cancel
it, list the searches, delete one. Each search is one step (`SearchesMachine.search`); the
texts and the timeout unit belong to the target, so `searches_machine` binds them.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import initialize, rule

from conformance.apis.searches.ids import Search
from conformance.apis.searches.model import Finding, SearchSpec
from conformance.apis.searches.oracle import may_search as consented
from conformance.apis.searches.oracle import oracle
from conformance.apis.searches.reading import responses_of
from conformance.apis.searches.steps import MISS_TEXT, Planned, SearchesMachine, SearchLedger, shares
from conformance.checks.context import SuiteContext, request_line
from conformance.checks.responses import json_body
from conformance.peers.matching import path_words
from conformance.requirements.registry import check

CROWD_WORD = "chorus"  # the crowd of identical responders shares it (library.yaml): a quick end
COMMON_WORD = "conformance"  # every peer shares it: one search reaches them all
TIMEOUTS = {"ms": (400, 800, 1200), "s": (1,)}  # short: searches that time out end soon
CANCELLED_TIMEOUT = {"ms": 4000, "s": 4}  # long: a cancelled search must not end by itself
LATE_WORD = "late"  # only the late peer shares it; it answers after 1.8 s (library.yaml)
KEPT_ALIVE_TIMEOUT = {"ms": 3000, "s": 3}  # its answer comes over model.MARGIN before this ends: reset
OUTLASTED_TIMEOUT = {"ms": 1000, "s": 1}  # ends over model.MARGIN before the late peer answers
FIXED_FILE_LIMIT = 9  # reached at once by what every peer shares, sharing-peer's locked files among it
FIXED_COST_S = 5.0  # the fixed searches' wall: about 0.1 s for the first, 4.8 s for the late peer's
DRAWN_S_PER_EXAMPLE = 0.15  # the drawn searches' seconds per --max-examples
DRAWN_S = (2.0, 12.0)  # … at least and at most

_LEDGERS: dict[int, SearchLedger] = {}  # one per run's context: examples share what was found


def may_search(ctx: SuiteContext) -> bool:
    """Searches reach peers: only where the run allows them (contract §7) and an oracle says
    what the network carried."""
    return consented(ctx) and oracle(ctx) is not None


# The rules have no preconditions: what they depend on (the run's budget, the searches still
# on the server) is the run's, not the example's, and Hypothesis must choose among the same
# rules whenever it replays an example; a rule with nothing to do returns.
def searching(machine: SearchesMachine) -> bool:
    """Whether the run still searches (a target that takes searches, budget left)."""
    ledger = machine.ledger
    return ledger.unit is not None and not ledger.refused and ledger.spent < ledger.budget


def search_budget(max_examples: int) -> float:
    """The wall time a run's searches may take: the fixed ones, and drawn ones in proportion
    to the run's examples (contract §6: the Searches part ≤ 20 s in all)."""
    low, high = DRAWN_S
    return FIXED_COST_S + min(high, max(low, DRAWN_S_PER_EXAMPLE * max_examples))


def has_live(machine: SearchesMachine) -> bool:
    return bool(machine.ledger.live)


def texts(words: list[str]) -> st.SearchStrategy[str]:
    """Texts that match many peers (the crowd's word, the word all share), some (any shared
    word, maybe with a second, an exclusion, a one-letter term) or none (words nobody has)."""
    if not words:
        return st.just(MISS_TEXT)
    word = st.sampled_from(words)
    drawn = st.tuples(
        word,
        st.one_of(st.just(""), word),
        st.one_of(st.just(""), word.map("-{}".format)),
        st.sampled_from(("", "a")),
    )
    return st.one_of(
        st.sampled_from(
            (CROWD_WORD, f"{CROWD_WORD} line", COMMON_WORD, f"{COMMON_WORD} overture -live", MISS_TEXT)
        ),
        drawn.map(lambda parts: " ".join(p for p in parts if p)).filter(
            lambda t: any(len(w) > 1 and not w.startswith("-") for w in t.split())
        ),
    )


def specs(unit: str, words: list[str]) -> st.SearchStrategy[SearchSpec]:
    return st.builds(
        SearchSpec,
        text=texts(words),
        timeout=st.sampled_from(TIMEOUTS[unit]),
        response_limit=st.sampled_from((None, 2, 5, 12)),
        file_limit=st.sampled_from((None, 3, 9)),
        filter_responses=st.sampled_from((None, True, False)),
        min_files=st.sampled_from((None, 1, 2)),
        max_queue=st.sampled_from((None, 100)),
        min_speed=st.sampled_from((None, 0, 1000)),
    )


SPECS = st.runner().flatmap(lambda machine: machine.specs)


class Searches(SearchesMachine):
    """What a client of slskd does with its searches, one rule per action."""

    specs: st.SearchStrategy[SearchSpec]

    @rule(spec=SPECS)
    def run_a_search(self, spec: SearchSpec) -> None:
        if searching(self):
            self.search(Planned(spec))

    @rule(spec=SPECS)
    def cancel_a_search(self, spec: SearchSpec) -> None:
        """A search that would run for seconds, cancelled while it runs."""
        if not searching(self):
            return
        long = SearchSpec(
            spec.text, CANCELLED_TIMEOUT[str(self.ledger.unit)], 250, None, spec.filter_responses
        )
        self.search(Planned(long, cancel=True))

    @initialize()
    def begin_with_the_fixed_searches(self) -> None:
        """Searches every run makes first, whatever Hypothesis draws after them (each is sent
        once a run; later examples are judged from its findings): one every peer answers, ended
        at once by its file limit (SEARCH-LIMIT-FILES), locked files among its answers
        (SEARCH-COUNTS), then two only the late peer answers, side by side
        (about 4.8 s): one with a timeout longer than its delay, which its answer must reset
        (SEARCH-TIMEOUT-RESET), and one that ends before it answers, whose answer must be
        dropped (SEARCH-RESPONSES-LATE-DROPPED)."""
        if not searching(self):
            return
        unit = str(self.ledger.unit)
        self.search(Planned(SearchSpec(COMMON_WORD, TIMEOUTS[unit][-1], file_limit=FIXED_FILE_LIMIT)))
        self.search(
            Planned(SearchSpec(LATE_WORD, KEPT_ALIVE_TIMEOUT[unit])),
            Planned(SearchSpec(LATE_WORD, OUTLASTED_TIMEOUT[unit]), await_late=True),
        )

    @rule()
    @check(Search.SEARCH_LIST_CONTAINS, Search.SEARCH_LIST_NO_RESPONSES, kind="stateful")
    def list_searches(self) -> None:
        """The list holds every search the run made and did not delete, without responses.
        A list that failed is judged again from its findings (a replay sends nothing new)."""
        if self.replayed("list") or not has_live(self):
            return
        response = self.call("GET")
        body = json_body(response)
        if response.status_code != 200 or not isinstance(body, list):
            return  # SEARCH-LIST-200 is the probes'
        ids = {str(item.get("id")) for item in body if isinstance(item, dict)}
        missing = sorted(set(self.ledger.live) - ids)
        carrying = [
            str(item.get("id"))
            for item in body
            if isinstance(item, dict) and (responses_of(item) or []) != []
        ]
        self.conclude(
            "list",
            [
                Finding(
                    Search.SEARCH_LIST_CONTAINS, not missing, f"{request_line(response)} lacks {missing}"
                ),
                Finding(
                    Search.SEARCH_LIST_NO_RESPONSES,
                    not carrying,
                    f"{request_line(response)} lists responses of {carrying}",
                ),
            ],
        )

    @rule(choice=st.integers(min_value=0, max_value=7))
    @check(Search.SEARCH_DELETE_204, Search.SEARCH_DELETE_GONE, kind="stateful")
    def delete_a_search(self, choice: int) -> None:
        """Delete a search the run made: 204, and it is gone. A delete that failed is judged
        again from its findings (a replay sends nothing new)."""
        if self.replayed("delete") or not has_live(self):
            return
        search_id = sorted(self.ledger.live)[choice % len(self.ledger.live)]
        deleted = self.call("DELETE", search_id)
        gone = self.call("GET", search_id)
        del self.ledger.live[search_id]
        self.conclude(
            "delete",
            [
                Finding(
                    Search.SEARCH_DELETE_204,
                    deleted.status_code == 204,
                    f"{request_line(deleted)} answered {deleted.status_code}",
                ),
                Finding(
                    Search.SEARCH_DELETE_GONE,
                    gone.status_code == 404,
                    f"{request_line(gone)} answered {gone.status_code} after the delete",
                ),
            ],
        )

    def replayed(self, kind: str) -> bool:
        """Whether an earlier `kind` step of the run failed a requirement not tolerated now:
        it is raised again, so the example fails as it did (Hypothesis replays it)."""
        failed = self.ledger.failed.get(kind)
        if failed and any(not f.ok and f.requirement not in self.tolerated for f in failed):
            self.settle(failed, record=False)
        return False

    def conclude(self, kind: str, findings: list[Finding]) -> None:
        if any(not f.ok for f in findings):
            self.ledger.failed.setdefault(kind, findings)
        self.settle(findings, record=True)


def detect_unit(ctx: SuiteContext, ledger: SearchLedger) -> None:
    """Which unit the target reads searchTimeout in, by one POST of a timeout of 1: valid in
    seconds (the docs; the search is cancelled and deleted at once), below slskd's minimum
    of 5 ms (400). It reads no state, so a server whose states are unreadable is still
    searched (and its states judged); the probes record the reading (DOCGAP-SEARCH-TIMEOUT-UNIT)."""
    began = time.monotonic()
    response = ctx.call("POST", "searches", json={"searchText": MISS_TEXT, "searchTimeout": 1})
    body = json_body(response)
    if response.status_code == 400:
        ledger.unit = "ms"
    elif response.status_code in (200, 201) and isinstance(body, dict):
        ledger.unit = "s"
        ctx.call("PUT", "searches", str(body.get("id")))
        ctx.call("DELETE", "searches", str(body.get("id")))
    else:
        ledger.refused = f"{request_line(response)} answered {response.status_code}"
    ledger.spent += time.monotonic() - began


def searches_machine(ctx: SuiteContext, tolerated: Iterable[str] = ()) -> type[Searches]:
    """The rules bound to this target: its peers' words, its timeout unit, the run's ledger.

    `tolerated` requirements are recorded when they fail but do not stop the machine."""
    ledger = _LEDGERS.setdefault(id(ctx), SearchLedger(budget=search_budget(ctx.max_examples)))
    if not may_search(ctx):
        ledger.refused = ledger.refused or "this run does not allow searches"
    elif ledger.unit is None and ledger.refused is None:
        detect_unit(ctx, ledger)
    words = sorted(
        {w for _, files in shares(ctx) for f in files for w in path_words(f.filename) if len(w) > 1}
    )
    unit = ledger.unit or "ms"
    target: dict[str, Any] = {
        "ctx": ctx,
        "tolerated": frozenset(tolerated),
        "ledger": ledger,
        "specs": specs(unit, words),
    }
    return type("Searches", (Searches,), target)

"""The steps of the searches state machine: one search from POST to its end, judged.

A search is one step: create it, poll it until it ends (cancelling it on the way when the
rule says so), read its responses, and judge all of it against the model
(`conformance.apis.searches.model`) and the oracle, what the network knows was sent
(`oracle.SearchOracle.searches()`). Searches reach peers and take wall time, so a run sends each
distinct search once: a step drawn again (a later example, Hypothesis' replay, shrinking)
is judged from the same findings, without a request (`SearchLedger`), and a run's searches
stop when their time budget is spent. That keeps the searches part short and its verdicts
the same on every replay: never flaky.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import requests
from hypothesis.stateful import RuleBasedStateMachine

from conformance.apis.searches.ids import Search
from conformance.apis.searches.model import (
    END_SLACK,
    Ended,
    Finding,
    SearchSpec,
    Sent,
    collapse,
    judge_ending,
    judge_responses,
    judge_running,
)
from conformance.apis.searches.oracle import oracle
from conformance.apis.searches.reading import (
    COMPLETED,
    IN_PROGRESS,
    ORDER,
    count,
    parse_state,
    response_key,
    responses_of,
    seconds,
)
from conformance.checks.context import SuiteContext, request_line
from conformance.checks.failures import failure_for
from conformance.checks.responses import json_body
from conformance.peers.library import SharedFile
from conformance.peers.matching import matches, network_query
from conformance.requirements.registry import check

CHECK = "stateful"
POLL_S = 0.1  # seconds between polls of a running search
CANCEL_WAIT_S = 1.0  # a cancelled search must end within this (SEARCH-CANCEL-STATE: promptly)
LATE_WAIT_CAP_S = 3.0  # the longest a step waits for a late peer's answer after the end
MISS_TEXT = "slskdconformance nowhereshared"  # no peer shares these words
COUNTS = ("responseCount", "fileCount", "lockedFileCount")


@dataclass(frozen=True)
class Planned:
    """A search a step runs: `cancel` it while it runs; `await_late`: read its responses only
    once its slowest peer has answered (so that a late response the server kept shows; seconds
    of wall time, so only where asked). Also the key of its findings in the ledger."""

    spec: SearchSpec
    cancel: bool = False
    await_late: bool = False


@dataclass(frozen=True)
class Created:
    """A search the target created: when it was posted, its id and token, the POST's answer."""

    at: float
    id: str
    token: int
    body: dict[str, Any]


@dataclass
class SearchLedger:
    """What a run's searches found, shared by every example of the machine: each distinct
    search's findings, the searches still on the server, and the time spent."""

    findings: dict[Any, list[Finding]] = field(default_factory=dict)
    live: dict[str, str] = field(default_factory=dict)  # id → searchText, created and not deleted
    ids: set[str] = field(default_factory=set)  # every id a search of the run was given
    failed: dict[str, list[Finding]] = field(default_factory=dict)  # the first failing list/delete
    spent: float = 0.0
    budget: float = 15.0  # the wall time the run's searches may take (rules.search_budget)
    unit: str | None = None  # "ms" or "s", once known
    refused: str | None = None  # why this target takes no searches

    @property
    def exhausted(self) -> bool:
        return self.spent >= self.budget


def shares(ctx: SuiteContext) -> list[tuple[dict[str, Any], list[SharedFile]]]:
    """Each sharing peer the network has (its entry) with its files, from the oracle."""
    network = oracle(ctx)
    found = []
    for peer in network.peers() if network is not None else []:
        files = [
            SharedFile(str(f.get("filename")), int(f.get("size") or 0), (), bool(f.get("isLocked")))
            for f in peer.get("shares") or []
            if isinstance(f, dict)
        ]
        if files:
            found.append((peer, files))
    return found


class SearchesMachine(RuleBasedStateMachine):
    """One search per step, judged against the oracle; `searches_machine` binds the target."""

    ctx: SuiteContext
    tolerated: frozenset[str]
    ledger: SearchLedger

    def __init__(self) -> None:
        super().__init__()
        self.ctx.begin_case()

    # --- verdicts ----------------------------------------------------------------------------
    def expect(self, requirement: str, ok: bool, message: str = "", *, record: bool = True) -> None:
        """Record a verdict (unless replayed from the ledger); a defect not tolerated raises."""
        if requirement not in self.ctx.catalogue:
            return
        tolerated = requirement in self.tolerated
        defect = self.ctx.judge.verdict(
            requirement, ok, message, check=CHECK, recorded=record and (ok or not tolerated)
        )
        if defect and not tolerated:
            raise failure_for(requirement)(f"{requirement}: {message}")

    def settle(self, findings: Iterable[Finding], *, record: bool) -> None:
        """Record every finding first, then raise the first defect: one search's findings are
        all known (and all recorded) even when it fails several requirements."""
        findings = list(findings)
        if record:
            for f in findings:
                if f.requirement in self.ctx.catalogue:
                    tolerated = f.requirement in self.tolerated
                    self.ctx.judge.verdict(
                        f.requirement, f.ok, f.message, check=CHECK, recorded=f.ok or not tolerated
                    )
        for f in findings:
            judged = not f.ok and f.requirement in self.ctx.catalogue and f.requirement not in self.tolerated
            if judged and self.ctx.judge.is_defect(f.requirement, f.ok) and self.ctx.applies(f.requirement):
                raise failure_for(f.requirement)(f"{f.requirement}: {f.message}")

    # --- calls -------------------------------------------------------------------------------
    def call(self, method: str, *path: str | int, **kwargs: Any) -> requests.Response:
        return self.ctx.call(method, "searches", *path, **kwargs)

    def oracle(self, token: int) -> tuple[list[dict[str, Any]], list[Sent]]:
        """The FileSearches the network received with `token`, and every response sent for them."""
        network = oracle(self.ctx)
        entries = [e for e in (network.searches() if network is not None else []) if e.get("token") == token]
        return entries, [Sent.of(r) for e in entries for r in e.get("responses") or []]

    def timeout_seconds(self, spec: SearchSpec) -> float | None:
        if spec.timeout is None or self.ledger.unit is None:
            return None
        return spec.timeout / 1000 if self.ledger.unit == "ms" else float(spec.timeout)

    def delay_for(self, text: str) -> float:
        """The longest a peer with a match for `text` takes to answer (its `delayS`)."""
        query = network_query(text)
        return max(
            (
                float(p.get("delayS") or 0.0)
                for p, files in shares(self.ctx)
                if any(matches(query, f) for f in files)
            ),
            default=0.0,
        )

    # --- the step ----------------------------------------------------------------------------
    @check(
        Search.SEARCH_STATE_STRINGS,
        Search.SEARCH_STATE_FORWARD,
        Search.SEARCH_COMPLETE_REASON,
        Search.SEARCH_TIMEOUT_ENDS,
        Search.SEARCH_TIMEOUT_RESET,
        Search.SEARCH_LIMIT_RESPONSES,
        Search.SEARCH_LIMIT_FILES,
        Search.SEARCH_CANCEL_STATE,
        Search.SEARCH_GET_INCLUDE_RESPONSES,
        Search.SEARCH_RESPONSES_EXACT,
        Search.SEARCH_RESPONSES_FILTERED,
        Search.SEARCH_RESPONSES_LATE_DROPPED,
        Search.SEARCH_RESPONSES_TOKEN,
        Search.SEARCH_COUNTS,
        Search.SEARCH_COUNTS_MONOTONIC,
        Search.SEARCH_NETWORK_QUERY,
        Search.SEARCH_IDS_UNIQUE,
        Search.DOCGAP_SEARCH_RESPONSES_HIDDEN,
        kind="stateful",
    )
    def search(self, *planned: Planned) -> None:
        """Run searches side by side and judge each against what the network carried for it:
        each is created, then each followed to its end in turn, so that searches that must
        wait on a peer cost the wall time of the longest, not the sum (the target runs two at
        once). A search already judged this run is settled from its findings, without a request."""
        new = [plan for plan in planned if plan not in self.ledger.findings]
        if new and not (self.ledger.exhausted or self.ledger.refused):
            began = time.monotonic()
            found: dict[Planned, list[Finding]] = {plan: [] for plan in new}
            try:
                created = [(plan, self.create(plan.spec, found[plan])) for plan in new]
                for order, (plan, search) in enumerate(created):
                    if search is not None:
                        self.follow(plan, search, found[plan], deferred=order > 0)
            finally:
                self.ledger.spent += time.monotonic() - began
                for plan, findings in found.items():
                    self.ledger.findings[plan] = collapse(findings)
        for plan in planned:
            if plan in self.ledger.findings:
                self.settle(self.ledger.findings[plan], record=plan in new)

    def create(self, spec: SearchSpec, findings: list[Finding]) -> Created | None:
        """POST the search; None (with the finding, or the run's refusal) when it was not created."""
        posted = time.time()
        created = self.call("POST", json=spec.body())
        body = json_body(created)
        if created.status_code not in (200, 201) or not isinstance(body, dict):
            if created.status_code == 409:
                self.ledger.refused = f"{request_line(created)} answered 409 (not logged in)"
            else:
                findings.append(
                    Finding(
                        Search.SEARCH_CREATE_OK,
                        False,
                        f"{request_line(created)} answered {created.status_code}",
                    )
                )
            return None
        search_id, token = str(body.get("id")), body.get("token")
        if not isinstance(token, int):
            findings.append(Finding(Search.SEARCH_CREATE_OK, False, f"the new search has no token: {body}"))
            return None
        findings.append(
            Finding(
                Search.SEARCH_IDS_UNIQUE,
                search_id not in self.ledger.ids,
                f"a new search took the id {search_id}",
            )
        )
        self.ledger.ids.add(search_id)
        self.ledger.live[search_id] = spec.text
        return Created(posted, search_id, token, body)

    def follow(self, plan: Planned, search: Created, findings: list[Finding], *, deferred: bool) -> None:
        """Poll a created search to its end (cancelling it on the way if planned), then judge it.
        `deferred`: followed after another search, so it is polled before its end is judged
        (its creation's answer is older than its timeout)."""
        spec, cancel, posted, search_id, token = plan.spec, plan.cancel, search.at, search.id, search.token
        timeout_s = self.timeout_seconds(spec)
        delay = self.delay_for(spec.text)
        deadline = posted + (timeout_s or 15.0) + delay + END_SLACK
        last: dict[str, Any] = search.body
        shown = [search.body]
        cancelled_at: float | None = None
        peeked = False
        fresh = not deferred  # `last` is recent enough to judge the deadline on
        while True:
            state = parse_state(last.get("state"))
            if state is not None and state[0] == COMPLETED:
                break
            now = time.time()
            if cancel and cancelled_at is None and state == (IN_PROGRESS, None):
                cancelled_at = now
                self.call("PUT", search_id)
            elif cancelled_at is not None and now > cancelled_at + CANCEL_WAIT_S:
                findings.append(
                    Finding(
                        Search.SEARCH_CANCEL_STATE,
                        False,
                        f"still {last.get('state')!r} 1 s after PUT cancelled it",
                    )
                )
                return
            elif fresh and now > deadline:  # a deferred search is polled first: it may have ended
                findings.append(
                    Finding(
                        Search.SEARCH_TIMEOUT_ENDS,
                        False,
                        f"still {last.get('state')!r} {now - posted:.1f} s after it was created "
                        f"(timeout {spec.timeout} {self.ledger.unit})",
                    )
                )
                self.call("PUT", search_id)  # free its slot for the searches after it
                return
            time.sleep(POLL_S if fresh else 0.0)
            fresh = True
            polled = self.call("GET", search_id)
            if polled.status_code != 200 or not isinstance(json_body(polled), dict):
                findings.append(
                    Finding(
                        Search.SEARCH_GET_200, False, f"{request_line(polled)} answered {polled.status_code}"
                    )
                )
                return
            last = json_body(polled)
            shown.append(last)
            state = parse_state(last.get("state"))
            if state is None:  # unreadable: its end cannot be told, so it is judged here
                findings += judge_states(shown)
                self.call("PUT", search_id)  # free its slot for the searches after it
                return
            if not peeked and state == (IN_PROGRESS, None) and (count(last, "responseCount") or 0) > 0:
                peeked = True
                findings += self.peek(spec, search_id, token)
        findings += judge_states(shown)
        ended_at, started_at = seconds(last.get("endedAt")), seconds(last.get("startedAt"))
        reason = parse_state(last.get("state"))[1]  # type: ignore[index]
        if ended_at is None or started_at is None:
            findings.append(
                Finding(Search.SEARCH_STATE_FORWARD, False, f"completed without both times: {last}")
            )
            return
        # A peer slower than the search may still answer: wait for it (briefly), so that a
        # late response the server kept would show.
        wait = min(LATE_WAIT_CAP_S, posted + delay + 0.3 - time.time())
        if plan.await_late and wait > 0:
            time.sleep(wait)
        stored = self.read_responses(search_id, findings)
        if stored is None:
            return
        entries, sent = self.oracle(token)
        query = network_query(spec.text)
        findings.append(
            Finding(
                Search.SEARCH_NETWORK_QUERY,
                any(e.get("query") == query for e in entries),
                f"the network received {[e.get('query') for e in entries]} with token {token}, not {query!r}",
            )
        )
        ended = Ended(
            spec=spec,
            token=token,
            reason=str(reason),
            started_at=started_at,
            ended_at=ended_at,
            counts={name: count(last, name) for name in COUNTS},
            stored=stored,
            timeout_s=timeout_s,
            cancelled_at=cancelled_at,
            sent=sent,
        )
        findings += judge_ending(ended)
        findings += judge_responses(ended)

    def peek(self, spec: SearchSpec, search_id: str, token: int) -> list[Finding]:
        """A running search's responses: the docs promise those accepted so far, slskd shows []."""
        response = self.call("GET", search_id, "responses")
        running = responses_of(json_body(response))
        if response.status_code != 200 or running is None:
            return []
        _, sent = self.oracle(token)
        reading = "visible" if running else "at-completion"
        findings = [
            Finding(
                Search.DOCGAP_SEARCH_RESPONSES_HIDDEN,
                bool(running),
                f"{request_line(response)} while InProgress with responses accepted: {reading}",
            )
        ]
        return findings + judge_running(spec, token, running, sent) if running else findings

    def read_responses(self, search_id: str, findings: list[Finding]) -> list[dict[str, Any]] | None:
        """The ended search's responses (GET …/responses), and the same through includeResponses."""
        response = self.call("GET", search_id, "responses")
        stored = responses_of(json_body(response))
        if response.status_code != 200 or stored is None:
            findings.append(
                Finding(
                    Search.SEARCH_RESPONSES_EXACT,
                    False,
                    f"{request_line(response)} answered {response.status_code}",
                )
            )
            return None
        included = self.call("GET", search_id, params={"includeResponses": "true"})
        inline = responses_of(json_body(included))
        mine = sorted(response_key(r) for r in stored)
        theirs = sorted(response_key(r) for r in inline or [])
        findings.append(
            Finding(
                Search.SEARCH_GET_INCLUDE_RESPONSES,
                included.status_code == 200 and inline is not None and mine == theirs,
                f"{request_line(included)} showed responses from {theirs}, …/responses from {mine}",
            )
        )
        return stored


def judge_states(shown: list[dict[str, Any]]) -> list[Finding]:
    """The states a search went through, as polled: slskd's strings, forward only, the flags
    and times agreeing with them, and counts that never go down."""
    findings: list[Finding] = []
    previous: tuple[str, str | None] | None = None
    counts_before: dict[str, int] = {}
    for body in shown:
        text = body.get("state")
        state = parse_state(text)
        findings.append(Finding(Search.SEARCH_STATE_STRINGS, state is not None, f"state {text!r}"))
        if state is None:
            continue
        complete = state[0] == COMPLETED
        if previous is not None:
            backwards = ORDER[state[0]] < ORDER[previous[0]] or (
                previous[0] == COMPLETED and state != previous
            )
            findings.append(
                Finding(Search.SEARCH_STATE_FORWARD, not backwards, f"state went from {previous} to {text!r}")
            )
        findings.append(
            Finding(
                Search.SEARCH_STATE_FORWARD,
                body.get("isComplete") is complete and (body.get("endedAt") is not None) == complete,
                f"state {text!r} with isComplete {body.get('isComplete')!r}"
                f" and endedAt {body.get('endedAt')!r}",
            )
        )
        for name in COUNTS:
            value = count(body, name)
            if value is not None:
                findings.append(
                    Finding(
                        Search.SEARCH_COUNTS_MONOTONIC,
                        value >= counts_before.get(name, 0),
                        f"{name} went from {counts_before.get(name)} to {value}",
                    )
                )
                counts_before[name] = value
        previous = state
    return findings

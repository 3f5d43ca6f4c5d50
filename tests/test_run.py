"""The run's hand-offs: what it skips and why, what it must clean up, what it reports it learned."""

from __future__ import annotations

from dataclasses import replace

import pytest

from conformance.apis.conversations.ledger import ConversationLedger
from conformance.cli.config import RunConfig
from conformance.requirements.catalogue import load_catalogue
from conformance.results.collector import CaseRecorder, RunResults
from conformance.results.exchange import Exchange
from conformance.run.facts import fold, target_facts
from conformance.run.plan import Plan
from conformance.run.skips import skips
from conformance.run.target import Target
from conformance.transport.auth_state import Authentication, AuthState
from conformance.transport.policy import Profile, WritePolicy
from conformance.transport.preflight import TargetInfo
from conformance.transport.session import GuardedSession

LIVE = RunConfig(target_url="http://slskd.test:5030", profile=Profile.READ_ONLY)
ON = Authentication(AuthState.ON, "the run was given credentials")
INFO = TargetInfo(version="0.26.0", authentication=ON, logged_in=True, notes=["the target's own note"])


def plan(config: RunConfig = LIVE, **fields: object) -> Plan:
    return replace(Plan(config, {}, None, load_catalogue()), **fields)  # type: ignore[arg-type]


def test_a_read_only_run_skips_what_needs_writes_and_says_why() -> None:
    reasons = dict(skips(plan(), INFO))
    assert reasons["CONV-SEND-201"] == "needs writes; the read-only profile sends only GETs"
    assert "CONV-LIST-OK" not in reasons


def test_a_target_not_logged_in_skips_only_what_needs_a_login_or_a_peer_and_names_it() -> None:
    full = plan(replace(LIVE, profile=Profile.FULL))
    reasons = dict(skips(full, replace(INFO, logged_in=False)))
    assert reasons["CONV-SEND-201"].startswith("needs a logged-in target")
    assert reasons["CONV-ACK-ONE-SHARED-ID"].startswith("needs a logged-in target")
    assert reasons["CONV-RECV-UNACK"].startswith("needs incoming messages from a peer")
    shown = {
        "CONV-ACK-ONE-404",
        "CONV-ACK-ALL-404",
        "CONV-CLOSE-404",
        "CONV-CLOSE-INACTIVE",
        "USER-ROUNDTRIP",
    }
    assert not shown & set(reasons), "no login needed: checked, a failed send opens the conversation"


def test_a_read_only_run_judges_what_is_stored_logged_in_or_not() -> None:
    reasons = dict(skips(plan(), replace(INFO, logged_in=False)))
    assert "CONV-RECV-UNACK" not in reasons, "stored messages are read as they are"
    assert reasons["CONV-SEND-201"] == "needs writes; the read-only profile sends only GETs"


def test_a_read_the_plan_does_not_send_is_skipped_with_the_plans_reason_first() -> None:
    given = plan(unsent_reads={"CONV-SEND-201": "not sent to a live slskd: it writes"})
    first = next(iter(skips(given, INFO)))
    assert first == ("CONV-SEND-201", "not sent to a live slskd: it writes")


def test_without_a_readonly_key_the_readonly_key_check_is_skipped() -> None:
    assert dict(skips(plan(), INFO))["AUTH-READONLY-KEY-WRITES"] == "no --readonly-api-key given"


@pytest.mark.parametrize("state", [AuthState.OFF, AuthState.UNKNOWN])
def test_auth_checks_not_run_are_skipped_with_preflights_reason(state: AuthState) -> None:
    why = Authentication(state, "GET /api/v0/session/enabled answered 404, and …")
    reasons = dict(skips(plan(), replace(INFO, authentication=why)))
    for requirement in ("AUTH-MISSING-401", "AUTH-WRONG-KEY-401"):
        assert (
            reasons[requirement]
            == f"authentication is {state}: GET /api/v0/session/enabled answered 404, and …"
        )


def test_with_authentication_on_the_auth_checks_run() -> None:
    reasons = dict(skips(plan(), INFO))
    assert "AUTH-MISSING-401" not in reasons and "AUTH-WRONG-KEY-401" not in reasons


def test_cleanup_closes_only_conversations_the_run_opened() -> None:
    ledger = ConversationLedger()
    for url, status in [
        ("http://t/api/v0/conversations/alice", 201),
        ("http://t/api/v0/conversations/bob%20b", 201),
        ("http://t/api/v0/conversations/carol", 400),
        ("http://t/api/v0/conversations/erin", 500),  # not logged in: failed, and opened
    ]:
        ledger.on_exchange(Exchange("POST", url, status=status))
    ledger.on_exchange(Exchange("GET", "http://t/api/v0/conversations/dave", status=200))
    assert ledger.opened == {"alice", "bob b", "erin"}


def test_the_configurations_notes_lead_the_targets_once_each() -> None:
    config = replace(LIVE, notes=("--peer unused",))
    target = Target("http://slskd.test:5030/api/v0", "live", INFO)
    with GuardedSession(WritePolicy(Profile.READ_ONLY, ())) as session:
        recorder = CaseRecorder(redact=lambda exchange: exchange.to_dict(), curl=lambda e: e.url)
        facts = target_facts(
            target, session, config, ["budget"], ["still open"], recorder, RunResults(load_catalogue())
        )
    assert facts["notes"] == ["--peer unused", "the target's own note"]
    assert (facts["cut_short"], facts["cleanup"]) == (["budget"], ["still open"])


def test_workers_facts_add_up_and_their_notes_are_said_once() -> None:
    worker = {"url": "u", "kind": "live", "requests": 3, "cases": 2, "notes": ["n"], "skipped": {}}
    worker |= {"cut_short": ["budget"], "cleanup": []}
    folded = fold(fold(None, worker), {**worker, "requests": 4, "notes": ["n", "m"], "cleanup": ["c"]})
    assert (folded["requests"], folded["cases"], folded["notes"]) == (7, 4, ["n", "m"])
    assert (folded["cut_short"], folded["cleanup"]) == (["budget"], ["c"])

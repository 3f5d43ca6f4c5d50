"""The conversations state machine against the embedded reference server.

It passes on the faithful `documented` server whatever the seed, catches each seeded fault
as the requirement that fault breaks, shrinks to a short sequence of requests, and against
the `slskd` behaviour finds exactly real slskd's known deviations.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import hypothesis
import pytest
from hypothesis.internal.conjecture import engine
from hypothesis.stateful import run_state_machine_as_test

from conformance.apis import write_shapes
from conformance.apis.conversations.rules import conversations_machine
from conformance.checks.context import SuiteContext
from conformance.checks.stateful import (
    failed_requirements,
    find_defects,
    stateful_settings,
)
from conformance.reference.server import ReferenceOptions, ReferenceServer
from conformance.requirements.catalogue import Need, load_catalogue
from conformance.results.collector import CaseRecorder
from conformance.transport.policy import Profile, WritePolicy
from conformance.transport.session import GuardedSession

ECHO_PEER = "echo-peer"
SETTINGS = stateful_settings(
    hypothesis.settings(
        max_examples=10,
        database=None,
        deadline=None,
        suppress_health_check=list(hypothesis.HealthCheck),
        print_blob=False,
    )
)
# Finding a fault needs the examples, not the shrinking: keep these tests quick.
SEARCH = hypothesis.settings(SETTINGS, max_examples=25, phases=[hypothesis.Phase.generate])
# Successful shrinks per defect where a test needs a shrunk sequence (Hypothesis' MAX_SHRINKS,
# in place of its time limit): count-off-by-one's 9 exchanges as found are 5 after 3 shrinks
# and stay 5 or 6 however long it goes on (each shrink replays whole sequences: seconds).
SHRINK_STEPS = 5
SLSKD_DEVIATIONS = {
    "CONV-ACK-ONE-404",
    "CONV-ACK-ALL-404",
    "CONV-CLOSE-404",
    "CONV-ACK-ONE-SHARED-ID",
    "API-NO-SERVER-ERROR",
}
# What the machine is for: every one of these gets a verdict in a default run.
CHECKED = (
    "CONV-COUNT-MATCHES",
    "CONV-HAS-UNACK-CONSISTENT",
    "CONV-LIST-ACTIVE-DEFAULT",
    "CONV-LIST-INCLUDE-INACTIVE",
    "CONV-LIST-UNACK-FILTER",
    "CONV-LIST-ORDER",
    "CONV-LIST-NO-MESSAGES",
    "CONV-MSGS-UNACK-FILTER",
    "CONV-CLOSE-INACTIVE",
    "CONV-CLOSED-READABLE",
    "CONV-CLOSE-ACKS-ALL",
    "CONV-CLOSE-KEEPS-MESSAGES",
    "CONV-SEND-STORES-OUT",
    "CONV-SEND-ACTIVATES",
    "CONV-RECV-UNACK",
    "CONV-RECV-ACTIVATES",
    "CONV-ACK-ONE-EFFECT",
    "CONV-ACK-ALL-EFFECT",
    "CONV-ACK-KEEPS-ACTIVE",
    "CONV-ACK-ONE-200",
    "CONV-ACK-ALL-200",
    "CONV-CLOSE-204",
    "CONV-SEND-201",
    "CONV-GET-OK",
    "CONV-MSGS-OK",
    "CONV-GET-INCLUDE-MESSAGES",
    "API-ENUM-STRINGS",
    "API-TIMESTAMP-UTC",
    "CONV-MSGS-ORDER",
    "CONV-GET-404",
    "CONV-MSGS-404",
    "CONV-ACK-ONE-404",
    "CONV-ACK-ALL-404",
    "CONV-CLOSE-404",
    "CONV-ACK-ONE-SHARED-ID",
    "USER-CASE-SENSITIVE",
    "USER-ROUNDTRIP",
    "DOCGAP-OUT-ID-ZERO",
)

WRITES = write_shapes()  # the installed APIs' writes: what safe-writes may send


@contextmanager
def embedded(
    behaviour: str = "documented",
    faults: frozenset[str] = frozenset(),
    writable_users: tuple[str, ...] | None = None,
    echo_peers: tuple[str, ...] = (ECHO_PEER,),
    logged_in: bool = True,
) -> Iterator[SuiteContext]:
    """A SuiteContext on a fresh reference server, every exchange captured as evidence."""
    key = secrets.token_urlsafe(16)
    options = ReferenceOptions(
        behaviour=behaviour, api_key=key, echo_peers=(ECHO_PEER,), faults=faults, logged_in=logged_in
    )
    server = ReferenceServer(options).start()
    recorder = CaseRecorder(redact=lambda exchange: exchange.to_dict(), curl=lambda exchange: "")
    profile = Profile.FULL if writable_users is None else Profile.SAFE_WRITES
    session = GuardedSession(
        WritePolicy(profile, writable_users or (), writes=WRITES), on_exchange=recorder.on_exchange
    )
    session.headers["X-API-Key"] = key
    try:
        yield SuiteContext(
            session=session,
            base_url=f"{server.url}/api/v0",
            recorder=recorder,
            catalogue=load_catalogue(),
            version=None,
            can_write=True,
            writable_users=writable_users,
            echo_peers=echo_peers,
            blacklisted=(),
            auth_enabled=True,
            offers=Need.INCOMING if logged_in else Need.CREATED,
        )
    finally:
        session.close()
        server.stop()


def run_machine(ctx: SuiteContext, seed: int, settings: hypothesis.settings = SETTINGS) -> list[str]:
    """The requirements one run of the machine fails with (empty when it passes)."""
    machine = hypothesis.seed(seed)(conversations_machine(ctx))
    try:
        run_state_machine_as_test(machine, settings=settings)
    except BaseException as error:
        if failed := failed_requirements(error):
            return failed
        raise
    return []


def failures(ctx: SuiteContext) -> dict[str, dict[str, Any]]:
    return {r: tally for r, tally in ctx.recorder.drain().items() if tally["failures"]}


@pytest.mark.parametrize("behaviour", ["documented", "intended"])
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_the_documented_and_the_intended_server_pass_whatever_the_seed(behaviour: str, seed: int) -> None:
    with embedded(behaviour=behaviour) as ctx:
        assert run_machine(ctx, seed) == []
        assert set(failures(ctx)) <= {"DOCGAP-OUT-ID-ZERO", "DOCGAP-READING"}


@pytest.mark.parametrize(
    ("behaviour", "reading"), [("documented", "close-again"), ("intended", "closed-not-found")]
)
def test_closing_a_closed_conversation_may_answer_either_reading_recorded_as_info(
    behaviour: str, reading: str
) -> None:
    with embedded(behaviour=behaviour) as ctx:
        user = f"closer-{secrets.token_hex(3)}"
        ctx.call("POST", "conversations", user, json="hi")
        machine = conversations_machine(ctx)()
        machine.adopt(user)
        machine.close(user)
        machine.close(user)
        evidence = failures(ctx)["DOCGAP-READING"]["evidence"]
    assert [e["message"].split(" (")[0] for e in evidence] == [f"CONV-CLOSE-204 read as {reading!r}"]


def test_an_example_asks_a_question_once_until_a_write_may_change_the_answer() -> None:
    """Hypothesis draws the same step again and again (its first examples above all): a read
    stays answered until the example writes, and a write refused with 404 sent again would
    find what it found; a write, refused or not, has the next read sent again."""
    with embedded() as ctx:
        machine = conversations_machine(ctx)()
        user = machine.username("Alice")
        start = ctx.session.requests_sent
        for _ in range(2):
            machine.acknowledge_all(user)
            machine.look(user)
        assert ctx.session.requests_sent - start == 2, "one 404 for each question"
        machine.send(user, "hi")
        machine.look(user)
        assert ctx.session.requests_sent - start == 4, "the send, and its read-back once"
        machine.acknowledge(user, 999)
        machine.look(user)
        assert ctx.session.requests_sent - start == 6, "a refused write may still have touched it"


def test_a_list_judges_only_the_items_no_list_of_the_run_has_passed_yet() -> None:
    """Every list shows every conversation on the server: judging each item again on every
    list made each example cost more than the one before. An item equal to one that passed
    passes again; a changed item is judged."""
    with embedded() as ctx:
        machine = conversations_machine(ctx)()
        user = machine.username("Alice")
        machine.send(user, "hi")
        machine.check_others(user)
        every = {"includeInactive": "true"}
        assert machine.unjudged_items(ctx.call("GET", "conversations", params=every)) == []
        machine.close(user)
        unjudged = machine.unjudged_items(ctx.call("GET", "conversations", params=every))
        assert [item["username"] for item in unjudged] == [user]
        assert type(machine)().unjudged_items(ctx.call("GET", "conversations", params=every)) == unjudged


def test_a_default_run_gives_every_requirement_of_the_lifecycle_a_verdict() -> None:
    with embedded() as ctx:
        assert run_machine(ctx, seed=0) == []
        checked = ctx.recorder.drain()
    assert [r for r in CHECKED if not checked.get(r, {}).get("checks")] == []


def test_the_outgoing_id_zero_is_reported_as_a_documentation_gap_not_a_defect() -> None:
    with embedded() as ctx:
        run_machine(ctx, seed=0)
        assert "DOCGAP-OUT-ID-ZERO" in failures(ctx)


@pytest.mark.parametrize(
    ("fault", "requirement"),
    [
        ("list-ignores-unack-filter", "CONV-LIST-UNACK-FILTER"),
        ("list-inverts-inactive", "CONV-LIST-ACTIVE-DEFAULT"),
        ("close-no-ack", "CONV-CLOSE-ACKS-ALL"),
        ("close-stays-active", "CONV-CLOSE-INACTIVE"),
        ("close-deletes", "CONV-CLOSED-READABLE"),
        ("count-off-by-one", "CONV-COUNT-MATCHES"),
        ("has-unack-wrong", "CONV-HAS-UNACK-CONSISTENT"),
        ("username-case-insensitive", "USER-CASE-SENSITIVE"),
        ("ack-all-wrong-user", "CONV-ACK-ALL-EFFECT"),
        ("ack-one-lost", "CONV-ACK-ONE-EFFECT"),
        ("ack-one-wrong-message", "CONV-ACK-ONE-EFFECT"),
        ("messages-unordered", "CONV-MSGS-ORDER"),
        ("messages-ignore-unack-filter", "CONV-MSGS-UNACK-FILTER"),
        ("send-no-reactivate", "CONV-SEND-ACTIVATES"),
        ("recv-acknowledged", "CONV-RECV-UNACK"),
        ("out-message-unacked", "CONV-SEND-STORES-OUT"),
        ("get-ignores-include-messages", "CONV-GET-INCLUDE-MESSAGES"),
        ("unicode-username-500", "USER-ROUNDTRIP"),
        ("list-unsorted", "CONV-LIST-ORDER"),
        ("list-includes-messages", "CONV-LIST-NO-MESSAGES"),
        ("ack-one-any-conversation", "CONV-WRITES-ISOLATED"),
        ("close-case-insensitive", "CONV-WRITES-ISOLATED"),
    ],
)
def test_a_seeded_fault_fails_the_requirement_it_breaks(fault: str, requirement: str) -> None:
    with embedded(faults=frozenset({fault})) as ctx:
        assert run_machine(ctx, seed=0, settings=SEARCH) == [requirement]
        assert requirement in failures(ctx)


def test_the_newest_evidence_is_the_shrunk_short_sequence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "MAX_SHRINKS", SHRINK_STEPS)
    with embedded(faults=frozenset({"count-off-by-one"})) as ctx:
        assert run_machine(ctx, seed=0) == ["CONV-COUNT-MATCHES"]
        tally = failures(ctx)["CONV-COUNT-MATCHES"]
    assert tally["failures"] > 1  # the first failing example, then the shrinker's replays
    assert 1 <= len(tally["evidence"][-1]["exchanges"]) <= 6


def test_against_slskd_only_its_known_deviations_fail() -> None:
    with embedded(behaviour="slskd") as ctx:
        found = find_defects(ctx, conversations_machine, SEARCH)
        failing = set(failures(ctx))
    assert found and set(found) <= SLSKD_DEVIATIONS
    assert failing <= SLSKD_DEVIATIONS | {"DOCGAP-OUT-ID-ZERO", "DOCGAP-READING"}


def test_not_logged_in_sends_fail_by_design_and_the_documented_server_still_passes() -> None:
    with embedded(logged_in=False) as ctx:
        assert run_machine(ctx, seed=0) == []
        assert run_machine(ctx, seed=1) == []
        checked = ctx.recorder.drain()
    assert {r for r, tally in checked.items() if tally["failures"]} <= {"DOCGAP-OVERLAY-STATUS"}
    shown = ("CONV-CLOSE-INACTIVE", "CONV-CLOSED-READABLE", "CONV-SEND-ACTIVATES", "CONV-ACK-ALL-404")
    assert all(checked.get(r, {}).get("checks") for r in shown), "a failed send opens what they need"
    assert not checked.get("CONV-SEND-201"), "a send's 500 there says nothing of CONV-SEND-201"


def test_not_logged_in_slskd_shows_the_never_404s_and_nothing_that_needs_a_send() -> None:
    with embedded(behaviour="slskd", logged_in=False) as ctx:
        found = find_defects(ctx, conversations_machine, SEARCH)
    assert found and set(found) <= {"CONV-ACK-ONE-404", "CONV-ACK-ALL-404", "CONV-CLOSE-404"}


def test_finding_defects_tolerates_each_one_found_and_looks_for_the_next() -> None:
    with embedded(faults=frozenset({"count-off-by-one", "list-unsorted"})) as ctx:
        found = find_defects(ctx, conversations_machine, SEARCH)
    assert sorted(found) == ["CONV-COUNT-MATCHES", "CONV-LIST-ORDER"]


def test_allowlisted_users_with_history_are_adopted_not_assumed_fresh() -> None:
    with embedded(writable_users=("friend", ECHO_PEER)) as ctx:
        assert run_machine(ctx, seed=0) == []
        assert run_machine(ctx, seed=1) == []  # the second run meets the first one's conversations


def test_a_peer_that_never_answers_is_no_longer_modelled() -> None:
    with embedded(echo_peers=(ECHO_PEER, "quiet-peer")) as ctx:
        assert run_machine(ctx, seed=0) == []


def test_the_suite_settings_take_a_share_of_the_run_s_examples_and_a_short_sequence_of_steps() -> None:
    derived = stateful_settings(hypothesis.settings(max_examples=25))
    assert derived.max_examples == 15 and derived.stateful_step_count <= 15
    assert stateful_settings(hypothesis.settings(max_examples=100)).max_examples == 60
    assert stateful_settings(hypothesis.settings(max_examples=5)).max_examples == 10, "never fewer than 10"
    assert not derived.report_multiple_bugs

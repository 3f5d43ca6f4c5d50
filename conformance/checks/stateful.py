"""The conversations state machine: slskd's protocol as rules, run until every defect is found.

Each rule is one thing a client of slskd does (send, hear back from a peer, acknowledge,
close, read); after a write the machine reads back the conversation the step touched, each
example ends with one list, and `ModelComparison` judges the server against `ConversationsModel`. The username
pool (`conformance.checks.usernames`) decides which names an example writes to.

A failing MUST/SHOULD requirement's final, shrunk replay is recorded last, so the newest
evidence of that requirement is the minimal sequence of HTTP calls. `find_defects` then runs
the machine again with that requirement tolerated, until the machine passes: one minimal
example per defect, not only the first.
"""

from __future__ import annotations

import contextlib
import itertools
import secrets
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import hypothesis
from hypothesis import Phase
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

from conformance.checks.comparison import (
    ACK_ALL,
    ACK_ONE,
    CHECK,
    CLOSE,
    RECEIVE,
    REOPEN,
    SEND,
    Effect,
    param,
)
from conformance.checks.context import REPLY_POLLS, SuiteContext
from conformance.checks.failures import RequirementFailed
from conformance.checks.model import CREATED, NOT_FOUND, OUTGOING_ID, ConversationsModel, Direction
from conformance.checks.reading import message_of
from conformance.checks.responses import json_body
from conformance.checks.usernames import UsernamePool, Usernames, favouring
from conformance.requirements.ids import Req
from conformance.requirements.registry import check

STEPS_PER_EXAMPLE = 15  # long enough for send → receive → close → reopen → read, short to shrink
MIN_EXAMPLES = 10  # ~40 requests each: about 0.2 s on the embedded server
TEXTS = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), min_size=1, max_size=12)
# (includeInactive, unAcknowledgedOnly) of the list read at the end of each example; None: not sent.
LIST_FILTERS = ((None, None), (None, True), (True, None), (True, True))
_NONCE = secrets.token_hex(3)
_examples = itertools.count(1)


def failed_requirements(error: BaseException) -> list[str]:
    """The requirements an error from the machine (maybe a group of them) reports failing."""
    if isinstance(error, RequirementFailed):
        return [error.requirement]
    if isinstance(error, BaseExceptionGroup):
        return [r for inner in error.exceptions for r in failed_requirements(inner)]
    return []


@dataclass(frozen=True)
class Received:
    """An incoming message the machine saw arrive, to acknowledge later."""

    username: str
    id: int


class ConversationsMachine(UsernamePool, RuleBasedStateMachine):
    """The steps a client of slskd takes, each followed by reading back what it touched;
    `conversations_machine` adds the rules for a target."""

    def __init__(self) -> None:
        super().__init__()
        self.ctx.begin_case()
        self.model = ConversationsModel()
        self.suffix = f"{_NONCE}{next(_examples)}"
        self.vouched = {self.username(stem) for stem in self.names.stems}  # fresh: known absent
        self.effects: dict[str, Effect] = {}
        self.listed: dict[str, tuple[Any, Any]] = {}  # (count, isActive) as last listed
        self.heard: list[Received] = []  # incoming messages that arrived in this example
        self.writes = 0

    # --- the steps ------------------------------------------------------------------------
    def after_write(self, username: str, effect: Effect) -> None:
        """A write is followed by reading its own conversation back: that read is what judges
        the write. The rest of the server (other conversations, the list filters) is read once
        at the end of the example (`teardown`) and by the rules that read."""
        self.effects[username] = effect
        self.writes += 1
        if self.trusts(username):
            self.look(username, effect)

    def teardown(self) -> None:
        """End every example that has not failed with one list, whose filters take turns (by
        the number of writes, so a replay lists the same way): what the steps did to the
        conversations they did not read back. Not after a failure: Hypothesis must see the
        step's own failure, not a consequence of it."""
        if sys.exception() is None:
            self.check_list(*LIST_FILTERS[self.writes % len(LIST_FILTERS)])

    @check(Req.CONV_SEND_201, *SEND.requirements, kind="stateful")
    def send(self, username: str, text: str, effect: Effect = SEND) -> None:
        self.post(username, text)
        self.after_write(username, effect)

    def post(self, username: str, text: str) -> None:
        """Send one message. The model learns of it after the server answered, so that a 5xx
        can still be told to be the (new) username's doing."""
        self.request(
            "POST", username, json=text, expected=CREATED, requirement=Req.CONV_SEND_201, about=[username]
        )
        self.model.send(username, text)

    @check(Req.CONV_MSGS_OK, *RECEIVE.requirements, kind="stateful")
    def receive(self, peer: str, text: str) -> bool:
        """Send to an echo peer and wait for its answer, an incoming message to model;
        False when the peer did not answer (it is then no longer modelled)."""
        self.post(peer, text)
        known = set(self.model.ids(peer, Direction.IN))
        for pause in REPLY_POLLS:
            time.sleep(pause)
            response = self.request("GET", peer, "messages", requirement=Req.CONV_MSGS_OK, about=[peer])
            items = json_body(response)
            replies = [
                (item, message)
                for item in (items if isinstance(items, list) else [])
                if (message := message_of(item)) is not None
                and message.direction is Direction.IN
                and message.id not in known
            ]
            if replies:
                break
        else:
            self.silent_peers.add(peer)  # a live peer that did not answer: stop modelling it
            self.vouched.discard(peer)
            return False
        for item, message in replies:
            self.expect(
                Req.CONV_RECV_UNACK,
                not message.acknowledged and isinstance(item.get("id"), int) and message.id > 0,
                f"incoming message from {peer!r} stored as {item}",
                about=[peer],
            )
            self.model.receive(peer, message.id, message.text)
        self.after_write(peer, RECEIVE)
        self.heard += [Received(peer, message.id) for _, message in replies]
        return True

    @check(
        Req.CONV_ACK_ONE_200,
        Req.CONV_ACK_ONE_404,
        Req.CONV_ACK_ONE_SHARED_ID,
        *ACK_ONE.requirements,
        kind="stateful",
    )
    def acknowledge(self, username: str, id: int) -> None:
        conversation = self.model.get(username)
        sharing = self.model.sharing(username, id)
        if conversation is not None and not sharing and not conversation.complete:
            return  # the id may belong to a message older than the model saw: unknowable
        expected = self.model.acknowledge(username, id)
        requirement = (
            Req.CONV_ACK_ONE_404
            if expected == NOT_FOUND
            else Req.CONV_ACK_ONE_SHARED_ID
            if sharing > 1
            else Req.CONV_ACK_ONE_200
        )
        self.request("PUT", username, id, expected=expected, requirement=requirement, about=[username])
        if expected != NOT_FOUND:  # refused, as the model predicted: nothing to read back
            self.after_write(username, ACK_ONE)

    @check(Req.CONV_ACK_ALL_200, Req.CONV_ACK_ALL_404, *ACK_ALL.requirements, kind="stateful")
    def acknowledge_all(self, username: str) -> None:
        expected = self.model.acknowledge_all(username)
        requirement = Req.CONV_ACK_ALL_404 if expected == NOT_FOUND else Req.CONV_ACK_ALL_200
        self.request("PUT", username, expected=expected, requirement=requirement, about=[username])
        if expected != NOT_FOUND:
            self.after_write(username, ACK_ALL)

    @check(Req.CONV_CLOSE_204, Req.CONV_CLOSE_404, Req.DOCGAP_READING, *CLOSE.requirements, kind="stateful")
    def close(self, username: str, *, read_back: bool = True) -> None:
        """Close; a closed conversation may be found (204) or not (404), and either way it
        stays closed, so the model closes it unless the server said it found nothing.
        Without `read_back` the next write's read judges the close too (its `Effect` says so)."""
        expected = self.model.close_answers(username)
        requirement = Req.CONV_CLOSE_404 if expected == (NOT_FOUND,) else Req.CONV_CLOSE_204
        response = self.request(
            "DELETE", username, expected=expected, requirement=requirement, about=[username]
        )
        if len(expected) > 1 and response.status_code in expected:
            reading = "closed-not-found" if response.status_code == NOT_FOUND else "close-again"
            what = f"DELETE of the closed conversation {username!r} answered {response.status_code}"
            self.ctx.judge.took_reading(Req.CONV_CLOSE_204, reading, what, check=CHECK)
        if response.status_code != NOT_FOUND:
            self.model.close(username)
        if read_back and expected != (NOT_FOUND,):
            self.after_write(username, CLOSE)

    @check(Req.CONV_GET_404, Req.CONV_GET_OK, Req.CONV_CLOSED_READABLE, kind="stateful")
    def read_conversation(self, username: str, include_messages: bool | None) -> None:
        predicted = self.model.get(username)
        params = {"includeMessages": param(include_messages)} if include_messages is not None else None
        if predicted is None:
            self.request(
                "GET", username, params=params, expected=404, requirement=Req.CONV_GET_404, about=[username]
            )
            return
        requirement = Req.CONV_GET_OK if predicted.active else Req.CONV_CLOSED_READABLE
        response = self.request("GET", username, params=params, requirement=requirement, about=[username])
        if response.status_code == 200:
            self.check_conversation(
                username, json_body(response), include_messages is not False, self.blame(username)
            )

    @check(
        Req.CONV_MSGS_404,
        Req.CONV_MSGS_OK,
        Req.CONV_CLOSED_READABLE,
        Req.CONV_MSGS_UNACK_FILTER,
        kind="stateful",
    )
    def read_messages(self, username: str, unacknowledged_only: bool | None) -> None:
        predicted = self.model.get(username)
        params = (
            {"unAcknowledgedOnly": param(unacknowledged_only)} if unacknowledged_only is not None else None
        )
        if predicted is None:
            self.request(
                "GET", username, "messages", params=params, expected=404, requirement=Req.CONV_MSGS_404
            )
            return
        requirement = Req.CONV_MSGS_OK if predicted.active else Req.CONV_CLOSED_READABLE
        response = self.request(
            "GET", username, "messages", params=params, requirement=requirement, about=[username]
        )
        items = json_body(response)
        if response.status_code != 200:
            return
        if unacknowledged_only and isinstance(items, list):
            self.expect(
                Req.CONV_MSGS_UNACK_FILTER,
                all(isinstance(i, dict) and i.get("isAcknowledged") is False for i in items),
                f"unAcknowledgedOnly=true answered acknowledged messages of {username!r}",
                about=[username],
            )
        expected = self.model.messages(username, unacknowledged_only=bool(unacknowledged_only)) or []
        self.check_messages(username, items, expected, self.blame(username))


def conversations_machine(ctx: SuiteContext, tolerated: Iterable[str] = ()) -> type[ConversationsMachine]:
    """The state machine for this target: what a client of slskd does, one rule per action.

    `tolerated` requirements are recorded when they fail but do not stop the machine.
    The class is made here because Hypothesis fixes a rule's strategies when its class is
    defined, and they are this target's usernames; drawing them through the machine instead
    (`st.runner().flatmap`) changes what it explores (measured: a third fewer requests and a
    seventh of the case-variant checks per run), so the rules stay bound to the target here.
    Echo peers keep their history across examples: they are reached only through `written`,
    once this example heard from them, so no step depends on older examples."""
    names = Usernames.for_target(ctx)
    users = favouring(names.senders, names.senders[:2]) if names.senders else st.nothing()
    ids = st.integers(min_value=1, max_value=2**31 - 1)
    flags = st.sampled_from((None, True, False))

    class Conversations(ConversationsMachine):
        written = Bundle("written")  # pool names written to in this example: they exist
        anyone = st.one_of(written, users)  # mostly existing conversations, sometimes unknown ones

        @rule(target=written, user=users, text=TEXTS)
        def send_a_message(self, user: str, text: str) -> str:
            self.send(self.username(user), text)
            return user

        if names.echo_peers:

            @rule(target=written, peer=st.sampled_from(names.echo_peers), text=TEXTS)
            def hear_back_from_a_peer(self, peer: str, text: str) -> Any:
                if peer in self.silent_peers or not self.receive(self.username(peer), text):
                    return multiple()
                return peer

            @precondition(lambda self: bool(self.heard))
            @rule(choice=st.integers(min_value=0, max_value=7))
            def acknowledge_a_received_message(self, choice: int) -> None:
                message = self.heard[-1 - choice % len(self.heard)]  # 0: the latest
                if self.trusts(message.username):
                    self.acknowledge(message.username, message.id)

        @rule(user=anyone, id=ids)
        def acknowledge_an_unknown_id(self, user: str, id: int) -> None:
            username = self.username(user)
            if self.trusts(username) and not self.model.sharing(username, id):
                self.acknowledge(username, id)

        @rule(user=users, texts=st.lists(TEXTS, min_size=2, max_size=2))
        def acknowledge_the_id_outgoing_messages_share(self, user: str, texts: list[str]) -> None:
            if not self.trusts(username := self.username(user)):
                return
            for text in texts[self.model.sharing(username, OUTGOING_ID) :]:
                self.post(username, text)
            self.acknowledge(username, OUTGOING_ID)

        @rule(user=anyone)
        def acknowledge_all_messages(self, user: str) -> None:
            if self.trusts(username := self.username(user)):
                self.acknowledge_all(username)

        @precondition(lambda self: bool(self.unread()))
        @rule()
        def acknowledge_all_of_an_unread_conversation(self) -> None:
            self.acknowledge_all(self.unread()[0])

        @precondition(lambda self: bool(self.unread()))
        @rule()
        def close_an_unread_conversation(self) -> None:
            self.close(self.unread()[0])

        @rule(user=anyone)
        def close_the_conversation(self, user: str) -> None:
            if self.trusts(username := self.username(user)):
                self.close(username)

        @rule(user=users, text=TEXTS)
        def reopen_by_sending(self, user: str, text: str) -> None:
            if not self.trusts(username := self.username(user)):
                return
            conversation = self.model.get(username)
            if conversation is None or not conversation.active:
                self.send(username, text)
                return
            self.close(username, read_back=False)
            self.send(username, text, REOPEN)

        @rule(include_inactive=flags, unacknowledged_only=flags)
        def list_conversations(self, include_inactive: bool | None, unacknowledged_only: bool | None) -> None:
            self.check_list(include_inactive, unacknowledged_only)

        # Messages by default: every step's read-back (`look`) asks that way already.
        @rule(user=anyone, include_messages=st.booleans())
        def get_the_conversation(self, user: str, include_messages: bool) -> None:
            if self.trusts(username := self.username(user)):
                self.read_conversation(username, include_messages)

        @rule(user=anyone, unacknowledged_only=flags)
        def get_its_messages(self, user: str, unacknowledged_only: bool | None) -> None:
            if self.trusts(username := self.username(user)):
                self.read_messages(username, unacknowledged_only)

    Conversations.ctx = ctx
    Conversations.names = names
    Conversations.tolerated = frozenset(tolerated)
    Conversations.silent_peers = set()
    return Conversations


def stateful_settings(base: hypothesis.settings) -> hypothesis.settings:
    """The run's settings for the machine: as many examples as the run asks for (at least
    MIN_EXAMPLES: a fault often needs a particular pair of steps), STEPS_PER_EXAMPLE steps
    each, and one bug reported per run: `find_defects` comes back for the others, and
    shrinking two failures at once doubles the requests a failing run costs."""
    return hypothesis.settings(
        base,
        max_examples=max(MIN_EXAMPLES, base.max_examples),
        stateful_step_count=STEPS_PER_EXAMPLE,
        report_multiple_bugs=False,
    )


def find_defects(ctx: SuiteContext, settings: hypothesis.settings) -> list[str]:
    """Find every defect first, then shrink them within the run's shrink budget.

    Pass one runs the machine without shrinking until it passes, each time tolerating the
    defects already found: every defect is known (and recorded, as found) within seconds.
    Pass two shrinks them in the order found, each with all the others tolerated, until the
    budget (`ctx.shrink_budget`) is spent; a shrunk defect's minimal example is its newest
    evidence. Returns the failing MUST/SHOULD requirements in the order found. Anything else
    the machine raises propagates."""
    finding = hypothesis.settings(settings, phases=[p for p in settings.phases if p is not Phase.shrink])
    found: list[str] = []
    for _ in ctx.catalogue:  # a requirement is found at most once: this bounds the loop
        try:
            run_state_machine_as_test(conversations_machine(ctx, found), settings=finding)
        except (RequirementFailed, BaseExceptionGroup) as error:
            new = [r for r in dict.fromkeys(failed_requirements(error)) if r not in found]
            if not new:
                raise
            found += new
        else:
            break
    if Phase.shrink in settings.phases:
        _shrink(ctx, settings, found)
    return found


def _shrink(ctx: SuiteContext, settings: hypothesis.settings, found: list[str]) -> None:
    """Pass two of `find_defects`: a minimal example per defect, while the budget lasts."""
    budget = ctx.shrink_budget
    quiet = hypothesis.settings(settings, verbosity=hypothesis.Verbosity.quiet)
    for requirement in found:
        if budget.left <= 0:
            budget.unshrunk.append(requirement)
            continue
        others = [r for r in found if r != requirement]
        # It fails again, as expected: the failure, now minimal, is recorded as its newest evidence.
        with budget.limit(requirement), contextlib.suppress(RequirementFailed, BaseExceptionGroup):
            run_state_machine_as_test(conversations_machine(ctx, others), settings=quiet)
        (budget.shrunk if budget.left > 0 else budget.unshrunk).append(requirement)

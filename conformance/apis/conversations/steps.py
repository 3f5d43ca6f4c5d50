"""The steps of the conversations state machine: what a client of slskd does, and the read-back.

Each step is one call a client makes (send, hear back from a peer, acknowledge one or all,
close, read); after a write the machine reads back the conversation the step touched, each
example ends with one list, and `ModelComparison` judges the server against `ConversationsModel`. The username
pool (`conformance.apis.conversations.usernames`) decides which names an example writes to; the rules
that choose the steps are in `conformance.apis.conversations.rules`.
"""

from __future__ import annotations

import itertools
import secrets
import sys
import time
from dataclasses import dataclass

import requests
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine

from conformance.apis.conversations.comparison import CHECK
from conformance.apis.conversations.effects import ACK_ALL, ACK_ONE, CLOSE, RECEIVE, SEND, Effect, param
from conformance.apis.conversations.ids import Conv
from conformance.apis.conversations.model import (
    CREATED,
    NOT_FOUND,
    SERVER_ERROR,
    ConversationsModel,
    Direction,
)
from conformance.apis.conversations.reading import message_of
from conformance.apis.conversations.usernames import UsernamePool
from conformance.checks.responses import json_body
from conformance.requirements.ids import Req
from conformance.requirements.registry import check

# (includeInactive, unAcknowledgedOnly) of the list read at the end of each example; None: not sent.
LIST_FILTERS = ((None, None), (None, True), (True, None), (True, True))
_NONCE = secrets.token_hex(3)
_examples = itertools.count(1)


@dataclass(frozen=True)
class Received:
    """An incoming message the machine saw arrive, to acknowledge later."""

    username: str
    id: int


class ConversationsMachine(UsernamePool, RuleBasedStateMachine):
    """The steps a client of slskd takes, each followed by reading back what it touched.

    `conversations_machine` binds a target: `ctx`, the pool's `names`, and the strategies
    its rules draw usernames from."""

    users: st.SearchStrategy[str]  # pool names a plain send may go to
    anyone: st.SearchStrategy[str]  # mostly conversations written to, sometimes unknown ones

    def __init__(self) -> None:
        super().__init__()
        self.ctx.begin_case()
        self.model = ConversationsModel()
        self.suffix = f"{_NONCE}{next(_examples)}"
        self.vouched = {self.username(stem) for stem in self.names.stems}  # fresh: known absent
        self.effects: dict[str, Effect] = {}
        self.answered = {}
        self.heard: list[Received] = []  # incoming messages that arrived in this example
        self.writes = 0

    def pending_heard(self) -> list[Received]:
        """The messages heard in this example that the model still holds unacknowledged."""
        return [heard for heard in self.heard if self.model.holds_unacknowledged(heard.username, heard.id)]

    # --- the steps ------------------------------------------------------------------------
    def after_write(self, username: str, effect: Effect, shown: requests.Response | None = None) -> None:
        """A write is followed by reading its own conversation back: that read is what judges
        the write (`shown`, when the step has read it already). The rest of the server (other
        conversations, the list filters) is read once at the end of the example (`teardown`)
        and by the rules that read."""
        self.effects[username] = effect
        self.writes += 1
        if not self.trusts(username):
            return
        if shown is None:
            self.look(username, effect=effect)
        else:
            self.judge_conversation(username, shown, include_messages=True, effect=effect)

    def teardown(self) -> None:
        """End every example that has not failed with one list, whose filters take turns (by
        the number of writes, so a replay lists the same way): what the steps did to the
        conversations they did not read back. Not after a failure: Hypothesis must see the
        step's own failure, not a consequence of it."""
        if sys.exception() is None:
            self.check_list(*LIST_FILTERS[self.writes % len(LIST_FILTERS)])

    @check(Conv.CONV_SEND_201, *SEND.requirements, kind="stateful")
    def send(self, username: str, text: str, effect: Effect = SEND) -> None:
        self.post(username, text)
        self.after_write(username, effect)

    def post(self, username: str, text: str) -> None:
        """Send one message. The model learns of it after the server answered, so that a 5xx
        can still be told to be the (new) username's doing."""
        expected = CREATED if self.ctx.sends_succeed else SERVER_ERROR  # not logged in: 500 by design
        self.request(
            "POST", username, json=text, expected=expected, requirement=Conv.CONV_SEND_201, about=[username]
        )
        self.model.send(username, text, logged_in=self.ctx.sends_succeed)

    @check(Conv.CONV_GET_OK, *RECEIVE.requirements, kind="stateful")
    def receive(self, peer: str, text: str) -> bool:
        """Send to an echo peer and read its conversation until the answer is there, an
        incoming message to model: the read that shows it is the step's read-back. False when
        the peer did not answer (it is then no longer modelled)."""
        self.post(peer, text)
        known = set(self.model.ids(peer, Direction.IN))
        for pause in self.ctx.reply_polls:
            time.sleep(pause)
            response = self.request("GET", peer, requirement=Conv.CONV_GET_OK, about=[peer], awaiting=True)
            body = json_body(response)
            items = body.get("messages") if isinstance(body, dict) else None
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
                Conv.CONV_RECV_UNACK,
                not message.acknowledged and isinstance(item.get("id"), int) and message.id > 0,
                f"incoming message from {peer!r} stored as {item}",
                about=[peer],
            )
            self.model.receive(peer, message.id, message.text)
        self.after_write(peer, RECEIVE, shown=response)
        self.heard += [Received(peer, message.id) for _, message in replies]
        return True

    @check(
        Conv.CONV_ACK_ONE_200,
        Conv.CONV_ACK_ONE_404,
        Conv.CONV_ACK_ONE_SHARED_ID,
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
            Conv.CONV_ACK_ONE_404
            if expected == NOT_FOUND
            else Conv.CONV_ACK_ONE_SHARED_ID
            if sharing > 1
            else Conv.CONV_ACK_ONE_200
        )
        self.request("PUT", username, id, expected=expected, requirement=requirement, about=[username])
        if expected != NOT_FOUND:  # refused, as the model predicted: nothing to read back
            self.after_write(username, ACK_ONE)

    @check(Conv.CONV_ACK_ALL_200, Conv.CONV_ACK_ALL_404, *ACK_ALL.requirements, kind="stateful")
    def acknowledge_all(self, username: str) -> None:
        expected = self.model.acknowledge_all(username)
        requirement = Conv.CONV_ACK_ALL_404 if expected == NOT_FOUND else Conv.CONV_ACK_ALL_200
        self.request("PUT", username, expected=expected, requirement=requirement, about=[username])
        if expected != NOT_FOUND:
            self.after_write(username, ACK_ALL)
        self.leaves_twins_alone(username)

    def leaves_twins_alone(self, username: str) -> None:
        """After acknowledging all or closing: when a conversation differing only in case or
        normalisation exists, a lookup that ignores the difference would touch it too, so every
        other conversation is compared (one list read, only then)."""
        if self.twins(username):
            self.check_others(username)

    @check(Conv.CONV_WRITES_ISOLATED, kind="stateful")
    def acknowledge_elsewhere(self, username: str, id: int) -> None:
        """Acknowledge, under `username`, the id of a message another conversation holds: only
        `username`'s conversation may change (it has no such message: 404, or slskd's 200)."""
        self.acknowledge(username, id)
        self.check_others(username)

    @check(Conv.CONV_CLOSE_204, Conv.CONV_CLOSE_404, Req.DOCGAP_READING, *CLOSE.requirements, kind="stateful")
    def close(self, username: str, *, read_back: bool = True) -> None:
        """Close; a closed conversation may be found (204) or not (404), and either way it
        stays closed, so the model closes it unless the server said it found nothing.
        Without `read_back` the next write's read judges the close too (its `Effect` says so)."""
        expected = self.model.close_answers(username)
        requirement = Conv.CONV_CLOSE_404 if expected == (NOT_FOUND,) else Conv.CONV_CLOSE_204
        response = self.request(
            "DELETE", username, expected=expected, requirement=requirement, about=[username]
        )
        if len(expected) > 1 and response.status_code in expected:
            reading = "closed-not-found" if response.status_code == NOT_FOUND else "close-again"
            what = f"DELETE of the closed conversation {username!r} answered {response.status_code}"
            self.ctx.judge.took_reading(Conv.CONV_CLOSE_204, reading, what, check=CHECK)
        if response.status_code != NOT_FOUND:
            self.model.close(username)
        if read_back and expected != (NOT_FOUND,):
            self.after_write(username, CLOSE)
        self.leaves_twins_alone(username)

    @check(
        Conv.CONV_MSGS_404,
        Conv.CONV_MSGS_OK,
        Conv.CONV_CLOSED_READABLE,
        Conv.CONV_MSGS_UNACK_FILTER,
        kind="stateful",
    )
    def read_messages(self, username: str, unacknowledged_only: bool | None) -> None:
        predicted = self.model.get(username)
        params = (
            {"unAcknowledgedOnly": param(unacknowledged_only)} if unacknowledged_only is not None else None
        )
        if predicted is None:
            self.request(
                "GET", username, "messages", params=params, expected=404, requirement=Conv.CONV_MSGS_404
            )
            return
        requirement = Conv.CONV_MSGS_OK if predicted.active else Conv.CONV_CLOSED_READABLE
        response = self.request(
            "GET", username, "messages", params=params, requirement=requirement, about=[username]
        )
        items = json_body(response)
        if response.status_code != 200:
            return
        if unacknowledged_only and isinstance(items, list):
            self.expect(
                Conv.CONV_MSGS_UNACK_FILTER,
                all(isinstance(i, dict) and i.get("isAcknowledged") is False for i in items),
                f"unAcknowledgedOnly=true answered acknowledged messages of {username!r}",
                about=[username],
            )
        expected = self.model.messages(username, unacknowledged_only=bool(unacknowledged_only)) or []
        self.check_messages(username, items, expected, self.blame(username))

"""The rules of the conversations state machine: slskd's protocol, one rule per action.

Hypothesis chooses among them step by step; the usernames they draw belong to the target
(its pool, its echo peers), so they are drawn through the machine `conversations_machine`
binds to that target (`st.runner()`), and the rules stay one class written once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import Bundle, multiple, precondition, rule

from conformance.apis.conversations.effects import REOPEN
from conformance.apis.conversations.model import OUTGOING_ID
from conformance.apis.conversations.steps import ConversationsMachine
from conformance.apis.conversations.usernames import Usernames, favouring
from conformance.checks.context import SuiteContext

TEXTS = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), min_size=1, max_size=12)

# Strategies that depend on the target are drawn through the machine bound to it.
USERS = st.runner().flatmap(lambda machine: machine.users)
ANYONE = st.runner().flatmap(lambda machine: machine.anyone)
ECHO_PEERS = st.runner().flatmap(lambda machine: st.sampled_from(machine.names.echo_peers))
IDS = st.integers(min_value=1, max_value=2**31 - 1)
FLAGS = st.sampled_from((None, True, False))


def has_senders(machine: ConversationsMachine) -> bool:
    return bool(machine.names.senders)


def has_echo_peers(machine: ConversationsMachine) -> bool:
    return bool(machine.names.echo_peers)


def sends_succeed(machine: ConversationsMachine) -> bool:
    """Outgoing messages are stored (the target is logged in to Soulseek)."""
    return has_senders(machine) and machine.ctx.sends_succeed


def has_heard(machine: ConversationsMachine) -> bool:
    return bool(machine.heard)


def has_unread(machine: ConversationsMachine) -> bool:
    return bool(machine.unread())


class Conversations(ConversationsMachine):
    """What a client of slskd does with its conversations, one rule per action."""

    written = Bundle("written")  # pool names written to in this example: they exist

    @precondition(has_senders)
    @rule(target=written, user=USERS, text=TEXTS)
    def send_a_message(self, user: str, text: str) -> str:
        self.send(self.username(user), text)
        return user

    @precondition(has_echo_peers)
    @rule(target=written, peer=ECHO_PEERS, text=TEXTS)
    def hear_back_from_a_peer(self, peer: str, text: str) -> Any:
        """The reply is read in the same step, as a client showing it does, so that no check
        hangs on two rules meeting in one example: the first reply is asked for among the
        unread messages (and stays unread: an acknowledgement of its id is aimed at another
        conversation), the next acknowledged at once, and so on."""
        username = self.username(peer)
        if peer in self.silent_peers or not self.receive(username, text):
            return multiple()
        if self.trusts(username):
            if len(self.heard) % 2 == 0:
                self.acknowledge(username, self.heard[-1].id)
            else:
                self.read_messages(username, unacknowledged_only=True)
                self.aim_elsewhere(username, self.heard[-1].id)
        return peer

    def aim_elsewhere(self, owner: str, id: int) -> None:
        """Acknowledge the unread reply's id under another conversation of this example: only
        a lookup confined to that username leaves the reply unread."""
        others = [u for u in self.model.usernames if u != owner and self.trusts(u)]
        if others and not self.model.sharing(others[0], id):
            self.acknowledge_elsewhere(others[0], id)

    @precondition(has_heard)
    @rule(choice=st.integers(min_value=0, max_value=7))
    def acknowledge_a_received_message(self, choice: int) -> None:
        message = self.heard[-1 - choice % len(self.heard)]  # 0: the latest
        if self.trusts(message.username):
            self.acknowledge(message.username, message.id)

    @rule(user=ANYONE, id=IDS)
    def acknowledge_an_unknown_id(self, user: str, id: int) -> None:
        """An id this user has not got: every other drawn id is one another conversation holds
        (a message heard from a peer), so only a lookup confined to the user leaves it alone."""
        username = self.username(user)
        if not self.trusts(username):
            return
        held = self.pending_heard() or self.heard  # unread ones show a careless acknowledgement
        elsewhere = held[id % len(held)] if held and id % 2 == 0 else None
        if elsewhere and elsewhere.username != username and self.trusts(elsewhere.username):
            if not self.model.sharing(username, elsewhere.id):
                self.acknowledge_elsewhere(username, elsewhere.id)
        elif not self.model.sharing(username, id):
            self.acknowledge(username, id)

    @precondition(sends_succeed)
    @rule(user=USERS, texts=st.lists(TEXTS, min_size=2, max_size=2))
    def acknowledge_the_id_outgoing_messages_share(self, user: str, texts: list[str]) -> None:
        if not self.trusts(username := self.username(user)):
            return
        for text in texts[self.model.sharing(username, OUTGOING_ID) :]:
            self.post(username, text)
        self.acknowledge(username, OUTGOING_ID)

    @rule(user=ANYONE)
    def acknowledge_all_messages(self, user: str) -> None:
        if self.trusts(username := self.username(user)):
            self.acknowledge_all(username)

    @precondition(has_unread)
    @rule()
    def acknowledge_all_of_an_unread_conversation(self) -> None:
        self.acknowledge_all(self.unread()[0])

    @precondition(has_unread)
    @rule()
    def close_an_unread_conversation(self) -> None:
        self.close(self.unread()[0])

    @rule(user=ANYONE)
    def close_the_conversation(self, user: str) -> None:
        if self.trusts(username := self.username(user)):
            self.close(username)

    @precondition(has_senders)
    @rule(user=USERS, text=TEXTS)
    def reopen_by_sending(self, user: str, text: str) -> None:
        if not self.trusts(username := self.username(user)):
            return
        conversation = self.model.get(username)
        if conversation is None or not conversation.active:
            self.send(username, text)
            return
        self.close(username, read_back=False)
        self.send(username, text, REOPEN)

    @rule(include_inactive=FLAGS, unacknowledged_only=FLAGS)
    def list_conversations(self, include_inactive: bool | None, unacknowledged_only: bool | None) -> None:
        self.check_list(include_inactive, unacknowledged_only)

    # Messages by default: every step's read-back (`look`) asks that way already.
    @rule(user=ANYONE, include_messages=st.booleans())
    def get_the_conversation(self, user: str, include_messages: bool) -> None:
        if self.trusts(username := self.username(user)):
            self.look(username, include_messages)

    @rule(user=ANYONE, unacknowledged_only=FLAGS)
    def get_its_messages(self, user: str, unacknowledged_only: bool | None) -> None:
        if self.trusts(username := self.username(user)):
            self.read_messages(username, unacknowledged_only)


def conversations_machine(ctx: SuiteContext, tolerated: Iterable[str] = ()) -> type[Conversations]:
    """The rules bound to this target: its usernames, its echo peers, its profile.

    `tolerated` requirements are recorded when they fail but do not stop the machine.
    Echo peers keep their history across examples: they are reached only through `written`,
    once this example heard from them, so no step depends on older examples."""
    names = Usernames.for_target(ctx)
    users = favouring(names.senders, names.senders[:2]) if names.senders else st.nothing()
    target = {
        "ctx": ctx,
        "names": names,
        "tolerated": frozenset(tolerated),
        "silent_peers": set(),
        "judged_items": {},
        "users": users,
        "anyone": st.one_of(Conversations.written, users),
    }
    return type("Conversations", (Conversations,), target)

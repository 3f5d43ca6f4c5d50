"""Fixed scenarios, one question each, named after the requirements they answer.

Scenarios that are only a request sequence and the statuses it expects are data
(`conformance/apis/conversations/scenarios.yaml`, run by `conformance/suite/test_scenarios.py`);
the probes below compute something from the answers' bodies, so they stay code. Each
registers the requirements it verifies.
"""

from __future__ import annotations

import secrets

import pytest

from conformance.apis.conversations import texts
from conformance.apis.conversations.ids import Conv
from conformance.apis.conversations.model import WINDOW
from conformance.apis.conversations.probes import ConversationProbe
from conformance.checks.choices import READERS, is_ordinal
from conformance.checks.context import SuiteContext, request_line
from conformance.checks.responses import json_body, objects
from conformance.requirements.catalogue import Need
from conformance.requirements.ids import Req
from conformance.requirements.registry import check
from conformance.transport.bounded import DEFAULT_MAX_RESPONSE_BYTES

MESSAGE_FIELDS = ("timestamp", "id", "username", "direction", "message", "isAcknowledged")


@pytest.fixture
def probe(conformance: SuiteContext) -> ConversationProbe:
    return ConversationProbe(conformance)


def _unique_text() -> str:
    return f"conformance check {secrets.token_hex(4)}"


@check(Conv.CONV_LIST_OK, Conv.CONV_LIST_NO_MESSAGES, Conv.CONV_LIST_ORDER, kind="probe")
def test_list_is_an_array_of_conversations(probe: ConversationProbe) -> None:
    response = probe.call("GET", "conversations")
    body = json_body(response)
    probe.check(
        Conv.CONV_LIST_OK,
        response.status_code == 200 and isinstance(body, list),
        f"GET /conversations answered {response.status_code} {probe.ctx.body_excerpt(response)}",
    )
    probe.check(
        Conv.CONV_LIST_NO_MESSAGES,
        not any("messages" in item for item in objects(body)),
        "list items carry a messages property",
    )
    usernames = [item["username"] for item in objects(body) if isinstance(item.get("username"), str)]
    probe.check(Conv.CONV_LIST_ORDER, is_ordinal(usernames), f"list order is {usernames[:10]}")
    probe.done()


@check(
    Conv.CONV_SEND_201,
    Conv.CONV_GET_OK,
    Conv.CONV_SEND_ACTIVATES,
    Conv.CONV_MSGS_OK,
    Conv.CONV_SEND_STORES_OUT,
    Conv.DOCGAP_OUT_ID_ZERO,
    kind="probe",
)
def test_a_sent_message_is_stored_acknowledged_and_activates(probe: ConversationProbe) -> None:
    user = probe.writable_user()
    text = _unique_text()
    probe.expect_status(Conv.CONV_SEND_201, probe.send(user, text), 201)
    conversation = probe.conversation(user)
    probe.check(
        Conv.CONV_GET_OK,
        conversation is not None and conversation.get("username") == user,
        f"GET /conversations/{user} after a send gave {conversation!r}",
    )
    probe.check(
        Conv.CONV_SEND_ACTIVATES,
        bool(conversation and conversation.get("isActive")),
        "the conversation is not active after a send",
    )
    response = probe.call("GET", "conversations", user, "messages")
    probe.expect_status(Conv.CONV_MSGS_OK, response, 200)
    sent = [m for m in objects(json_body(response)) if m.get("message") == text]
    probe.check(
        Conv.CONV_SEND_STORES_OUT,
        len(sent) == 1
        and sent[0].get("direction") == "Out"
        and sent[0].get("isAcknowledged") is True
        and sent[0].get("username") == user,
        f"the sent message is stored as {sent!r}",
    )
    if sent:
        probe.check(
            Conv.DOCGAP_OUT_ID_ZERO,
            sent[0].get("id") != 0,
            "outgoing messages carry id 0: the id is not unique",
        )
    probe.done()


@check(Conv.CONV_SEND_201, Conv.CONV_SEND_BODY_TEXT, kind="probe")
def test_message_bodies_round_trip_unchanged(probe: ConversationProbe) -> None:
    """Every text, from one character to the longest, is shown byte for byte wherever the
    server shows it: the send's answer (when it has one), the conversation, its messages.
    The long texts go to fresh usernames only, never to a --peer's inbox."""
    probe.require(Need.OUTGOING)
    user = probe.writable_user()
    bound = getattr(probe.ctx.session, "max_response_bytes", DEFAULT_MAX_RESPONSE_BYTES)
    if probe.ctx.writable_users is not None:  # a --peer is a real person: no long texts to them
        bound = None
    sent = ["   ", 'quotes " and \\ backslash', "line\nbreak", *texts.roundtrip_texts(bound)]
    problems = []
    for text in sent:
        response = probe.send(user, text)
        probe.expect_status(Conv.CONV_SEND_201, response, 201)
        if said := texts.echo_difference(text, json_body(response)):
            problems.append(f"the send's answer: {said}")
    conversation = probe.conversation(user) or {}
    for where, messages in (
        ("the conversation", conversation.get("messages")),
        ("its messages", probe.messages(user)),
    ):
        stored = texts.shown_texts(messages)[-len(sent) :]
        problems += [f"{where}: {said}" for said in texts.differences(sent, stored)]
    probe.check(Conv.CONV_SEND_BODY_TEXT, not problems, "; ".join(problems))
    probe.done()


@check(Conv.CONV_GET_INCLUDE_MESSAGES, kind="probe")
def test_include_messages_controls_the_messages_property(probe: ConversationProbe) -> None:
    user = probe.writable_user()
    probe.send(user)
    default = probe.conversation(user) or {}
    shown = probe.conversation(user, includeMessages="true") or {}
    hidden = probe.conversation(user, includeMessages="false") or {}
    probe.check(
        Conv.CONV_GET_INCLUDE_MESSAGES,
        isinstance(default.get("messages"), list)
        and isinstance(shown.get("messages"), list)
        and "messages" not in hidden,
        f"messages present: default {'messages' in default}, true {'messages' in shown}, "
        f"false {'messages' in hidden}",
    )
    probe.done()


@check(Conv.MSG_FIELDS, Conv.MSG_WAS_REPLAYED, kind="probe")
def test_messages_carry_every_field(probe: ConversationProbe) -> None:
    probe.require(Need.OUTGOING)
    user = probe.writable_user()
    probe.send(user)
    messages = probe.messages(user)
    missing = sorted({f for m in messages for f in MESSAGE_FIELDS if f not in m})
    probe.check(Conv.MSG_FIELDS, bool(messages) and not missing, f"messages lack {missing}")
    replayed = [m.get("wasReplayed") for m in messages]
    probe.check(
        Conv.MSG_WAS_REPLAYED,
        bool(messages) and all(r is False for r in replayed),
        f"wasReplayed values {replayed[:5]}",
    )
    probe.done()


@check(Req.DOCGAP_READING, kind="probe")
def test_the_readings_the_representation_took(probe: ConversationProbe) -> None:
    """Where the docs allow several representations, which one the server writes (INFO)."""
    user = probe.writable_user()
    probe.send(user)
    response = probe.call("GET", "conversations", user, "messages")
    messages = objects(json_body(response))
    shown = {
        Req.API_CONTENT_TYPE: response.headers.get("Content-Type"),
        Req.API_TIMESTAMP_UTC: messages[0].get("timestamp") if messages else None,
    }
    for requirement, value in shown.items():
        if (reading := READERS[requirement](value)) is not None:
            what = f"{request_line(response)} showed {value!r}"
            probe.ctx.judge.took_reading(requirement, reading, what, check="probe")
    probe.done()


@check(
    Conv.CONV_SEND_201,
    Conv.CONV_RECV_UNACK,
    Conv.CONV_MSGS_UNACK_FILTER,
    Conv.CONV_COUNT_MATCHES,
    Conv.CONV_HAS_UNACK_CONSISTENT,
    Conv.CONV_LIST_UNACK_FILTER,
    Conv.CONV_ACK_ONE_200,
    Conv.CONV_ACK_ONE_EFFECT,
    Conv.CONV_ACK_KEEPS_ACTIVE,
    kind="probe",
)
def test_incoming_messages_are_unacknowledged_until_acknowledged(probe: ConversationProbe) -> None:
    peer = probe.echo_peer()
    probe.call("PUT", "conversations", peer)  # start from a clean slate: nothing unacknowledged
    # The second text is long (short for a --peer, a real person): a peer answers what it is
    # sent, so its reply must end with that text, byte for byte.
    long = texts.spread(texts.LONG) if probe.ctx.writable_users is None else texts.SHORT[-1]
    sent = [_unique_text(), f"{_unique_text()} {long}"]
    for text in sent:
        probe.expect_status(Conv.CONV_SEND_201, probe.send_awaiting_reply(peer, text), 201)
    replies = [m for m in probe.messages(peer) if m.get("direction") == "In"][-2:]
    probe.check(
        Conv.CONV_RECV_UNACK,
        len(replies) == 2
        and all(
            m.get("isAcknowledged") is False and isinstance(m.get("id"), int) and m["id"] > 0 for m in replies
        ),
        f"the peer's replies are stored as (id, isAcknowledged) "
        f"{[(m.get('id'), m.get('isAcknowledged')) for m in replies]}",
    )
    cut = [
        said
        for text, m in zip(sent, replies, strict=False)
        if (said := texts.tail_difference(text, m.get("message")))
    ]
    probe.check(Conv.CONV_RECV_UNACK, len(replies) == 2 and not cut, f"the peer's replies: {'; '.join(cut)}")
    if len(replies) < 2:
        probe.done()
        return
    older, newer = (reply["id"] for reply in replies)
    unacked = probe.messages(peer, unAcknowledgedOnly="true")
    probe.check(
        Conv.CONV_MSGS_UNACK_FILTER,
        [m.get("id") for m in unacked] == [older, newer],
        f"unAcknowledgedOnly=true gave {unacked!r}",
    )
    conversation = probe.conversation(peer, includeMessages="false") or {}
    probe.check(
        Conv.CONV_COUNT_MATCHES,
        conversation.get("unAcknowledgedMessageCount") == 2,
        f"two unacknowledged messages, count says {conversation.get('unAcknowledgedMessageCount')}",
    )
    probe.check(
        Conv.CONV_HAS_UNACK_CONSISTENT,
        conversation.get("hasUnAcknowledgedMessages") is True,
        "hasUnAcknowledgedMessages is not true with unacknowledged messages",
    )
    listed = {c.get("username"): c for c in probe.listing(unAcknowledgedOnly="true")}
    probe.check(
        Conv.CONV_LIST_UNACK_FILTER,
        peer in listed,
        "a conversation with unacknowledged messages is missing from unAcknowledgedOnly=true",
    )
    probe.check(
        Conv.CONV_COUNT_MATCHES,
        listed.get(peer, {}).get("unAcknowledgedMessageCount") == 2,
        f"the list counts {listed.get(peer, {}).get('unAcknowledgedMessageCount')} unacknowledged",
    )

    # Acknowledge the newer reply first: exactly that one changes.
    probe.expect_status(Conv.CONV_ACK_ONE_200, probe.call("PUT", "conversations", peer, newer), 200)
    acked = {m.get("id"): m.get("isAcknowledged") for m in probe.messages(peer) if m.get("direction") == "In"}
    probe.check(
        Conv.CONV_ACK_ONE_EFFECT,
        acked.get(newer) is True and acked.get(older) is False,
        f"after acknowledging message {newer}: {newer} → {acked.get(newer)}, {older} → {acked.get(older)}",
    )
    probe.expect_status(Conv.CONV_ACK_ONE_200, probe.call("PUT", "conversations", peer, older), 200)
    conversation = probe.conversation(peer, includeMessages="false") or {}
    probe.check(
        Conv.CONV_HAS_UNACK_CONSISTENT,
        conversation.get("hasUnAcknowledgedMessages") is False
        and conversation.get("unAcknowledgedMessageCount") == 0,
        f"after acknowledging everything the conversation says {conversation!r}",
    )
    probe.check(Conv.CONV_ACK_KEEPS_ACTIVE, conversation.get("isActive") is True, "acknowledging closed it")
    listed_names = [c.get("username") for c in probe.listing(unAcknowledgedOnly="true")]
    probe.check(
        Conv.CONV_LIST_UNACK_FILTER,
        peer not in listed_names,
        "a fully acknowledged conversation is listed with unAcknowledgedOnly=true",
    )
    probe.done()


@check(Conv.CONV_CLOSE_204, Conv.CONV_SEND_ACTIVATES, kind="probe")
def test_sending_reopens_a_closed_conversation(probe: ConversationProbe) -> None:
    user = probe.fresh_user("reopen")
    probe.send(user)
    probe.expect_status(Conv.CONV_CLOSE_204, probe.call("DELETE", "conversations", user), 204)
    probe.send(user)
    conversation = probe.conversation(user, includeMessages="false") or {}
    probe.check(
        Conv.CONV_SEND_ACTIVATES,
        conversation.get("isActive") is True,
        f"after closing and sending again the conversation reads {conversation!r}",
    )
    probe.done()


@check(Conv.CONV_CLOSE_204, Conv.CONV_CLOSED_READABLE, Req.DOCGAP_READING, kind="probe")
def test_closing_a_closed_conversation_takes_one_of_the_allowed_readings(probe: ConversationProbe) -> None:
    """The docs leave it open whether a closed conversation is found (204) or not (404): either
    passes, and which one the server took is recorded (DOCGAP-READING), on every run; either
    way the conversation stays closed and readable."""
    user = probe.fresh_user("close-twice")
    probe.send(user)
    probe.expect_status(Conv.CONV_CLOSE_204, probe.call("DELETE", "conversations", user), 204)
    again = probe.call("DELETE", "conversations", user)
    if probe.expect_status(Conv.CONV_CLOSE_204, again, 204, 404):
        reading = "close-again" if again.status_code == 204 else "closed-not-found"
        what = f"{request_line(again)} of a closed conversation answered {again.status_code}"
        probe.ctx.judge.took_reading(Conv.CONV_CLOSE_204, reading, what, check="probe")
    conversation = probe.conversation(user)
    probe.check(
        Conv.CONV_CLOSED_READABLE,
        conversation is not None and conversation.get("isActive") is False,
        f"after closing twice the conversation reads {conversation}",
    )
    probe.done()


@check(Conv.CONV_ACK_ALL_200, Conv.CONV_ACK_ALL_EFFECT, Conv.CONV_ACK_KEEPS_ACTIVE, kind="probe")
def test_acknowledge_all_touches_only_that_user(probe: ConversationProbe) -> None:
    peer = probe.echo_peer()
    other = probe.fresh_user("bystander")
    probe.send(other)
    probe.send_awaiting_reply(peer, _unique_text())
    probe.send_awaiting_reply(peer, _unique_text())
    probe.expect_status(Conv.CONV_ACK_ALL_200, probe.call("PUT", "conversations", peer), 200)
    unacked = [m for m in probe.messages(peer) if m.get("isAcknowledged") is not True]
    probe.check(Conv.CONV_ACK_ALL_EFFECT, not unacked, f"still unacknowledged after PUT: {unacked[:3]!r}")
    probe.check(
        Conv.CONV_ACK_KEEPS_ACTIVE,
        (probe.conversation(peer) or {}).get("isActive") is True,
        "acknowledging all closed the conversation",
    )
    probe.done()


@check(Conv.CONV_WRITES_ISOLATED, kind="probe")
def test_closing_a_conversation_leaves_the_one_differing_in_case_open(probe: ConversationProbe) -> None:
    """Alice and alice are two conversations: closing one leaves the other active. The state
    machine meets such a pair by chance (2 of its 14 names), so one run in several missed
    a close that closed both; this asks every run, in four requests."""
    user = probe.fresh_user("Twin")
    twin = user.lower()
    probe.send(user)
    probe.send(twin)
    probe.call("DELETE", "conversations", user)
    shown = (probe.conversation(twin) or {}).get("isActive")
    probe.check(
        Conv.CONV_WRITES_ISOLATED, shown is True, f"closing {user!r} left {twin!r} isActive {shown!r}"
    )
    probe.done()


@check(
    Conv.CONV_CLOSE_204,
    Conv.CONV_CLOSED_READABLE,
    Conv.CONV_CLOSE_INACTIVE,
    Conv.CONV_CLOSE_KEEPS_MESSAGES,
    Conv.CONV_CLOSE_ACKS_ALL,
    Conv.CONV_LIST_ACTIVE_DEFAULT,
    Conv.CONV_LIST_INCLUDE_INACTIVE,
    Conv.CONV_SEND_ACTIVATES,
    kind="probe",
)
def test_closing_acknowledges_and_keeps_the_conversation_readable(probe: ConversationProbe) -> None:
    # Not logged in, a failed send still opens the conversation: what closing does to it shows.
    peer = probe.echo_peer() if probe.ctx.sends_succeed else probe.writable_user()
    probe.send_awaiting_reply(peer, _unique_text())
    stored = len(probe.messages(peer))
    probe.expect_status(Conv.CONV_CLOSE_204, probe.call("DELETE", "conversations", peer), 204)
    conversation = probe.conversation(peer)
    probe.check(Conv.CONV_CLOSED_READABLE, conversation is not None, "a closed conversation answers 404")
    probe.check(
        Conv.CONV_CLOSE_INACTIVE,
        conversation is not None and conversation.get("isActive") is False,
        f"a closed conversation reads {conversation!r}",
    )
    messages = probe.messages(peer)
    probe.check(
        Conv.CONV_CLOSE_KEEPS_MESSAGES,
        len(messages) == stored,
        f"{stored} messages before closing, {len(messages)} after",
    )
    probe.check(
        Conv.CONV_CLOSE_ACKS_ALL,
        bool(messages) and all(m.get("isAcknowledged") for m in messages),
        "closing left unacknowledged messages",
    )
    active = [c.get("username") for c in probe.listing()]
    every = [c.get("username") for c in probe.listing(includeInactive="true")]
    probe.check(Conv.CONV_CLOSE_INACTIVE, peer not in active, "a closed conversation is in the default list")
    probe.check(
        Conv.CONV_LIST_ACTIVE_DEFAULT, peer not in active, "the default list holds a closed conversation"
    )
    probe.check(
        Conv.CONV_LIST_INCLUDE_INACTIVE, peer in every, "includeInactive=true misses a closed conversation"
    )
    probe.send_awaiting_reply(peer, _unique_text())
    probe.check(
        Conv.CONV_SEND_ACTIVATES,
        (probe.conversation(peer) or {}).get("isActive") is True,
        "sending to a closed conversation did not reactivate it",
    )
    probe.check(
        Conv.CONV_LIST_ACTIVE_DEFAULT,
        peer in [c.get("username") for c in probe.listing()],
        "the default list misses an active conversation",
    )
    probe.done()


@check(Conv.CONV_LIST_ORDER, Conv.CONV_LIST_ACTIVE_DEFAULT, kind="probe")
def test_the_list_is_ordered_by_username(probe: ConversationProbe) -> None:
    stems = ["b", "a", "C", "é"]
    users = [probe.fresh_user(stem) for stem in stems]
    for user in users:
        probe.send(user)
    listed = [c.get("username") for c in probe.listing() if c.get("username") in users]
    probe.check(Conv.CONV_LIST_ORDER, is_ordinal(listed), f"listed {listed}, ordinal order {sorted(users)}")
    probe.check(
        Conv.CONV_LIST_ACTIVE_DEFAULT, set(listed) == set(users), "active conversations missing from list"
    )
    probe.done()


@check(Conv.CONV_MSGS_WINDOW, Conv.CONV_MSGS_ORDER, kind="probe")
def test_only_the_latest_100_messages_are_returned_oldest_first(probe: ConversationProbe) -> None:
    probe.require(Need.OUTGOING)
    user = probe.fresh_user("window")
    sent = [f"message {n:03d}" for n in range(WINDOW + 1)]  # one past the window: the oldest drops out
    for text in sent:
        probe.send(user, text)
    messages = probe.messages(user)
    stored = [m.get("message") for m in messages]
    probe.check(Conv.CONV_MSGS_WINDOW, len(messages) == WINDOW, f"{len(messages)} messages returned")
    probe.check(
        Conv.CONV_MSGS_ORDER,
        stored == sent[-len(stored) :] if stored else False,
        f"messages come as {stored[:3]} … {stored[-3:]}",
    )
    embedded = objects((probe.conversation(user) or {}).get("messages"))
    probe.check(
        Conv.CONV_MSGS_WINDOW, len(embedded) == WINDOW, f"the conversation embeds {len(embedded)} messages"
    )
    probe.done()

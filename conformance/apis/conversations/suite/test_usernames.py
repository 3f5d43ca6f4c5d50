"""Usernames go through the routes unchanged: unicode, reserved characters, a literal '+'.

slskd takes the username from a path segment; a client percent-encodes it, and the server
must decode it to exactly the name that was sent (USER-ROUNDTRIP). slskd neither trims nor
normalises a username (source-notes §4), so a name a normaliser would rewrite (a
compatibility form, a combining mark, whitespace around or inside it) is its own
conversation, answered with exactly that name. Case sensitivity is a scenario
(`conformance/apis/conversations/scenarios.yaml`); the state machine mixes such names in too.
"""

from __future__ import annotations

import pytest

from conformance.apis.conversations.ids import Conv
from conformance.apis.conversations.probes import ConversationProbe
from conformance.checks.context import SuiteContext
from conformance.checks.responses import json_body, objects
from conformance.requirements.registry import check


@pytest.fixture
def probe(conformance: SuiteContext) -> ConversationProbe:
    return ConversationProbe(conformance)


@pytest.mark.parametrize("stem", ["Ünïcødé", "with space", "sl/ash", "que?ry", "per%cent", "pl+us", "ha#sh"])
@check(Conv.USER_ROUNDTRIP, kind="probe")
def test_usernames_round_trip(probe: ConversationProbe, stem: str) -> None:
    user = probe.fresh_user(stem)
    probe.expect_status(Conv.USER_ROUNDTRIP, probe.send(user), probe.send_status)
    conversation = probe.conversation(user)
    probe.check(
        Conv.USER_ROUNDTRIP,
        conversation is not None and conversation.get("username") == user,
        f"GET for {user!r} gave {conversation!r}",
    )
    names = [m.get("username") for m in probe.messages(user)]
    stored = [user] if probe.ctx.sends_succeed else []  # a failed send stores no message
    probe.check(Conv.USER_ROUNDTRIP, names == stored, f"messages of {user!r} name {names!r}")
    probe.done()


@check(Conv.USER_ROUNDTRIP, kind="probe")
def test_a_literal_plus_in_a_username_stays_a_plus(probe: ConversationProbe) -> None:
    """Clients that do not percent-encode '+' (it is legal in a path) must reach the same user."""
    user = probe.fresh_user("pl+us")
    probe.send(user)
    raw = f"{probe.ctx.base_url}/conversations/{user}"  # '+' as is, not %2B
    response = probe.ctx.session.get(raw, params={"includeMessages": "false"})
    body = json_body(response) if response.status_code == 200 else None
    probe.check(
        Conv.USER_ROUNDTRIP,
        isinstance(body, dict) and body.get("username") == user,
        f"GET {raw} answered {response.status_code} {body!r}",
    )
    probe.done()


# Names that NFKC (or NFC), a trim or a whitespace collapse would rewrite: a ligature, full-
# width letters, a superscript (compatibility forms), a decomposed diaeresis (a combining
# mark), spaces around the name and a run of spaces inside it.
EXACT_FORMS = ("\ufb01le", "\uff37\uff49\uff44\uff45", "x\u00b2", "Zoe\u0308", " outer ", "in  ner")


@check(Conv.USER_ROUNDTRIP, kind="probe")
def test_usernames_a_normaliser_would_rewrite_keep_their_exact_form(probe: ConversationProbe) -> None:
    """Each name is written to, read back (the conversation and its messages name it) and
    listed exactly as sent, code point for code point; one list read judges them all."""
    users = [probe.fresh_user(stem) for stem in EXACT_FORMS]
    problems = []
    for user in users:
        probe.expect_status(Conv.USER_ROUNDTRIP, probe.send(user), probe.send_status)
        conversation = probe.conversation(user) or {}
        named = [conversation.get("username")] + [
            m.get("username") for m in objects(conversation.get("messages"))
        ]
        problems += [f"GET for {user!a} named {name!a}" for name in dict.fromkeys(named) if name != user]
    listed = {item.get("username") for item in probe.listing()}
    problems += [f"{user!a} is not listed under its exact name" for user in users if user not in listed]
    probe.check(Conv.USER_ROUNDTRIP, not problems, "; ".join(problems))
    probe.done()

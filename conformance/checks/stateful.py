"""The conversations state machine: drive the target and the model side by side, compare.

Each rule is one thing a client of slskd does (send, hear back from a peer, acknowledge,
close, read); after it the machine reads back what the step touched (plus one cheap list)
and judges the server against `ConversationsModel`, recording a verdict per requirement.

A failing MUST/SHOULD requirement raises an AssertionError subclass of its own, so that
Hypothesis shrinks towards a minimal sequence failing the *same* requirement; its final
replay is recorded last, so the newest evidence of that requirement is the minimal
sequence of HTTP calls. `find_defects` then runs the machine again with that requirement
tolerated (neither raised nor recorded again, the conversation it concerns no longer
vouched for), until the machine passes: one minimal example per defect, not only the first.
INFO requirements (documentation gaps) are recorded and never raised.

The server keeps state across examples, and a live one has conversations of its own:
fixed usernames (echo peers, allowlisted users) are adopted from the server the first time
an example touches them; every other username carries a fresh per-example suffix, so
examples never see each other's data.
"""

from __future__ import annotations

import itertools
import re
import secrets
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import hypothesis
import requests
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

from conformance.checks.context import SuiteContext, request_line
from conformance.checks.failures import RequirementFailed, failure_for
from conformance.checks.model import (
    CREATED,
    NOT_FOUND,
    OUTGOING_ID,
    WINDOW,
    ConversationsModel,
    Direction,
    Message,
    Summary,
)
from conformance.checks.probes import operation_label
from conformance.checks.responses import check_response, json_body
from conformance.requirements.ids import Req

CHECK = "stateful"
STEPS_PER_EXAMPLE = 15  # long enough for send → receive → close → reopen → read, short to shrink
MIN_EXAMPLES = 10  # ~40 requests each: about 0.2 s on the embedded server
REPLY_POLLS = (0.0, 0.2, 0.5, 1.0)  # seconds between reads while waiting for a live peer's reply

# Usernames that slskd must keep apart or carry through its routes unchanged.
CASE_VARIANTS = ("Alice", "alice", "ALICE")
ROUNDTRIP_NAMES = ("Zoë", "名前", "with space", "a/b", "what?", "100%", "c+d", "#hash", "😀")
TEXTS = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), min_size=1, max_size=12)
# (includeInactive, unAcknowledgedOnly) of the list read after each write; None: not sent.
LIST_FILTERS = ((None, None), (None, True), (True, None), (True, True))
_NONCE = secrets.token_hex(3)
_examples = itertools.count(1)


# --- failures -------------------------------------------------------------------------------
def failed_requirements(error: BaseException) -> list[str]:
    """The requirements an error from the machine (maybe a group of them) reports failing."""
    if isinstance(error, RequirementFailed):
        return [error.requirement]
    if isinstance(error, BaseExceptionGroup):
        return [r for inner in error.exceptions for r in failed_requirements(inner)]
    return []


# --- what a step promises -------------------------------------------------------------------
@dataclass(frozen=True)
class Effect:
    """The requirements a write promises, blamed when a later read disagrees with the model."""

    messages: str  # the messages (and counts) the step predicts
    active: str  # the active flag the step predicts
    kept: str | None = None  # that no message disappears, when the step names it
    outgoing: str | None = None  # the outgoing messages, when the step sent one


SEND = Effect(Req.CONV_SEND_STORES_OUT, Req.CONV_SEND_ACTIVATES, outgoing=Req.CONV_SEND_STORES_OUT)
RECEIVE = Effect(Req.CONV_RECV_UNACK, Req.CONV_RECV_ACTIVATES, outgoing=Req.CONV_SEND_STORES_OUT)
ACK_ONE = Effect(Req.CONV_ACK_ONE_EFFECT, Req.CONV_ACK_KEEPS_ACTIVE)
ACK_ALL = Effect(Req.CONV_ACK_ALL_EFFECT, Req.CONV_ACK_KEEPS_ACTIVE)
CLOSE = Effect(Req.CONV_CLOSE_ACKS_ALL, Req.CONV_CLOSE_INACTIVE, kept=Req.CONV_CLOSE_KEEPS_MESSAGES)
ADOPTED = Effect(Req.CONV_GET_OK, Req.CONV_GET_OK)  # nothing written yet: the server should not change


@dataclass(frozen=True)
class Received:
    """An incoming message the machine saw arrive, to acknowledge later."""

    username: str
    id: int


# --- reading the server's JSON --------------------------------------------------------------
_TIMESTAMP = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,7}))?(Z|[+-]\d\d:\d\d)")


def instant(text: Any) -> tuple[datetime, int] | None:
    """A sortable moment for an ISO-8601 timestamp, keeping all 7 fractional digits slskd
    may write (Python's datetime holds 6); None when it is not one."""
    match = _TIMESTAMP.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        return None
    whole, fraction, zone = match.groups()
    try:
        moment = datetime.fromisoformat(whole + ("+00:00" if zone == "Z" else zone))
    except ValueError:
        return None
    return moment.astimezone(UTC), int((fraction or "").ljust(7, "0"))


def message_of(item: Any) -> Message | None:
    """A message of the server's JSON in the model's terms; None when it is not readable as one."""
    if not isinstance(item, dict):
        return None
    try:
        return Message(int(item["id"]), Direction(item["direction"]), item["message"], item["isAcknowledged"])
    except (KeyError, TypeError, ValueError):
        return None


def content(message: Message) -> tuple[str, int, str]:
    """What identifies a message regardless of its acknowledgement; outgoing ids are not
    compared (the docs call ids unique, slskd writes 0: DOCGAP-OUT-ID-ZERO judges that)."""
    return (
        message.direction.value,
        message.id if message.direction is Direction.IN else OUTGOING_ID,
        message.text,
    )


def state(message: Message) -> tuple[tuple[str, int, str], bool]:
    return content(message), message.acknowledged


def filter_requirements(include_inactive: bool, unacknowledged_only: bool) -> tuple[str, ...]:
    """The requirements a list answered with these filters verifies."""
    return (
        Req.CONV_LIST_INCLUDE_INACTIVE if include_inactive else Req.CONV_LIST_ACTIVE_DEFAULT,
        *((Req.CONV_LIST_UNACK_FILTER,) if unacknowledged_only else ()),
    )


def describe(messages: Counter[Any], limit: int = 5) -> str:
    """A few of the messages that differ, enough to read the failure without the evidence."""
    shown = sorted(messages.elements(), key=repr)
    more = f" and {len(shown) - limit} more" if len(shown) > limit else ""
    return (", ".join(map(repr, shown[:limit])) or "nothing") + more


def param(value: bool | None) -> str | None:
    return None if value is None else str(value).lower()


def is_tricky(username: str) -> bool:
    """Whether a username tests the routes' decoding (USER-ROUNDTRIP) rather than plain ASCII."""
    return any(not (c.isascii() and (c.isalnum() or c in "-_.~")) for c in username)


# --- usernames ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Usernames:
    """The names an example may write to: `stems` get a fresh suffix per example, `fixed`
    names (echo peers, allowlisted users) are used as they are and adopted from the server."""

    stems: tuple[str, ...]
    fixed: tuple[str, ...]
    echo_peers: tuple[str, ...]

    @classmethod
    def for_target(cls, ctx: SuiteContext) -> Usernames:
        peers = tuple(p for p in ctx.echo_peers if ctx.may_write_to(p) and p not in ctx.blacklisted)
        if ctx.writable_users is None:
            stems = CASE_VARIANTS + (ROUNDTRIP_NAMES if ctx.applies(Req.USER_ROUNDTRIP) else ())
            return cls(stems, peers, peers)
        fixed = tuple(
            u
            for u in ctx.writable_users
            if ctx.may_write_to(u) and u not in peers and u not in ctx.blacklisted
        )
        return cls((), fixed + peers, peers)

    @property
    def senders(self) -> tuple[str, ...]:
        """Who a plain send may go to: never an echo peer, whose reply the model must expect."""
        return self.stems + tuple(u for u in self.fixed if u not in self.echo_peers)


def favouring(names: tuple[str, ...], favourites: tuple[str, ...]) -> st.SearchStrategy[str]:
    """Any of `names`, the favourites half the time, so that an example comes back to the
    same conversations (and meets Alice next to alice)."""
    chosen = tuple(name for name in favourites if name in names) or names
    return st.sampled_from(chosen) | st.sampled_from(names)


# --- the machine ----------------------------------------------------------------------------
class ConversationsMachine(RuleBasedStateMachine):
    """Everything a step does and checks; `conversations_machine` adds the rules for a target."""

    ctx: SuiteContext
    names: Usernames
    tolerated: frozenset[str] = frozenset()
    silent_peers: set[str]  # echo peers that did not answer: no longer modelled (per run)

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

    # --- usernames ------------------------------------------------------------------------
    def username(self, name: str) -> str:
        """The real username of a pool name in this example; fixed names are adopted first."""
        if name not in self.names.fixed:
            return f"{name}-{self.suffix}"
        if name not in self.vouched and name not in self.silent_peers and name not in self.effects:
            self.adopt(name)
        return name

    def trusts(self, username: str) -> bool:
        return username in self.vouched

    def unread(self) -> list[str]:
        """The conversations this example vouches for that hold unacknowledged messages."""
        return [u for u in self.model.usernames if self.trusts(u) and self.model.get(u).unacknowledged]

    def adopt(self, username: str) -> None:
        """Take over what the server holds for a fixed username before predicting anything.

        An echo peer's unread messages are acknowledged first (it consented to our writes):
        otherwise whether a step fails would depend on what earlier examples left unread,
        and Hypothesis could not replay a failure."""
        if username in self.names.echo_peers:
            self.request("PUT", username, expected=(200, 404), requirement=Req.CONV_ACK_ALL_200)
        response = self.request("GET", username, expected=(200, 404), requirement=Req.CONV_GET_OK)
        body = json_body(response)
        self.effects[username] = ADOPTED
        if response.status_code == 404 or not isinstance(body, dict):
            self.model.forget(username)
            self.vouched.add(username)
            return
        window = [m for m in map(message_of, body.get("messages") or []) if m is not None]
        unacknowledged = body.get("unAcknowledgedMessageCount", 0)
        if len(window) >= WINDOW:  # older unread messages may hide behind a full window
            listing = json_body(
                self.request("GET", params={"includeInactive": "true"}, requirement=Req.CONV_LIST_OK)
            )
            unacknowledged = next(
                (
                    item.get("unAcknowledgedMessageCount", 0)
                    for item in listing or []
                    if item.get("username") == username
                ),
                unacknowledged,
            )
        self.model.adopt(
            username, active=bool(body.get("isActive")), window=window, unacknowledged=unacknowledged
        )
        self.vouched.add(username)

    # --- judging --------------------------------------------------------------------------
    def expect(self, requirement: str, ok: bool, message: str = "", *, about: Iterable[str] = ()) -> bool:
        """Record a verdict; a defect raises. A tolerated defect (found and shrunk by an earlier
        run of `find_defects`) is not recorded again, so that its newest evidence stays the
        minimal sequence; the model stops vouching for the conversations it is `about`."""
        tolerated = requirement in self.tolerated
        if not self.ctx.judge.verdict(requirement, ok, message, check=CHECK, recorded=ok or not tolerated):
            return ok
        if not tolerated:
            raise failure_for(requirement)(f"{requirement}: {message}")
        self.vouched.difference_update(about)
        return ok

    def request(
        self,
        method: str,
        *path: str | int,
        expected: int | tuple[int, ...] = 200,
        requirement: str,
        about: Iterable[str] = (),
        **kwargs: Any,
    ) -> requests.Response:
        """One call to a conversations route, judged: the status the model expects (blaming
        `requirement`), no 5xx, and slskd's per-response conventions."""
        segments = ("conversations", *path)
        response = self.ctx.call(method, *segments, **kwargs)
        statuses = (expected,) if isinstance(expected, int) else expected
        if path and response.status_code not in statuses:
            requirement = self.username_requirement(str(path[0]), method, response.status_code) or requirement
        self.expect(
            requirement,
            response.status_code in statuses,
            f"{request_line(response)} answered {response.status_code}, expected "
            + " or ".join(map(str, statuses)),
            about=about,
        )
        self.expect(
            Req.API_NO_SERVER_ERROR,
            response.status_code < 500,
            f"{request_line(response)} answered {response.status_code}",
        )
        for defect in check_response(self.ctx, operation_label(method, segments), response):
            if defect not in self.tolerated:
                raise failure_for(defect)(f"{defect}: {method} {response.request.path_url}, see evidence")
        return response

    def username_requirement(self, username: str, method: str, status: int) -> str | None:
        """When an unexpected status is the username's doing: a 5xx for a name with unicode or
        reserved characters the server has not handled yet, or a call about a conversation
        that does not exist succeeding because the server found a case variant of it (for a
        write, a read tells that apart from slskd's never-404 quirk)."""
        unheard = self.model.get(username) is None
        if status >= 500 and unheard and is_tricky(username) and self.ctx.applies(Req.USER_ROUNDTRIP):
            return Req.USER_ROUNDTRIP
        if not (unheard and 200 <= status < 300 and self.case_variants(username)):
            return None
        if method == "GET" or self.ctx.call("GET", "conversations", username).status_code == 200:
            return Req.USER_CASE_SENSITIVE
        return None

    def case_variants(self, username: str) -> list[str]:
        return [u for u in self.model.usernames if u != username and u.casefold() == username.casefold()]

    def blame(self, username: str, effect: Effect | None = None) -> Effect:
        return effect or self.effects.get(username, ADOPTED)

    # --- checking what the server shows -----------------------------------------------------
    def check_identity(self, username: str, shown: Any) -> None:
        """The conversation answered is the one asked for: exact case, every character kept."""
        if shown == username:
            if self.case_variants(username):
                self.expect(Req.USER_CASE_SENSITIVE, True)
            if is_tricky(username):
                self.expect(Req.USER_ROUNDTRIP, True)
            return
        same_letters = isinstance(shown, str) and shown.casefold() == username.casefold()
        self.expect(
            Req.USER_CASE_SENSITIVE if same_letters else Req.USER_ROUNDTRIP,
            False,
            f"asked for the conversation with {username!r}, got {shown!r}",
            about=[username, *([shown] if isinstance(shown, str) else [])],
        )

    def check_messages(self, username: str, items: Any, expected: list[Message], effect: Effect) -> bool:
        """Messages as shown by a read: well formed, oldest first, the model's (in any order
        within equal timestamps). Returns whether they matched the model."""
        if not isinstance(items, list):
            return self.expect(
                effect.messages, False, f"messages of {username!r} are not a list", about=[username]
            )
        for item in items:
            if isinstance(item, dict) and "username" in item:
                self.check_identity(username, item["username"])
        moments = [instant(item.get("timestamp")) for item in items if isinstance(item, dict)]
        known = [m for m in moments if m is not None]
        self.expect(
            Req.CONV_MSGS_ORDER, known == sorted(known), f"messages of {username!r} are not oldest first"
        )
        shown = [message_of(item) for item in items]
        outgoing = [m for m in shown if m is not None and m.direction is Direction.OUT]
        if outgoing:
            self.expect(
                Req.DOCGAP_OUT_ID_ZERO,
                all(m.id != OUTGOING_ID for m in outgoing),
                f"{sum(m.id == OUTGOING_ID for m in outgoing)} outgoing messages to {username!r} carry id 0",
            )
        readable = [m for m in shown if m is not None]
        missing = Counter(map(content, expected)) - Counter(map(content, readable))
        if effect.kept and not self.expect(
            effect.kept, not missing, f"messages of {username!r} gone: {list(missing)}", about=[username]
        ):
            return False
        # Outgoing messages first: a send step's own promise, whatever else the step did.
        for requirement, direction in ((effect.outgoing, Direction.OUT), (effect.messages, None)):
            if requirement is None:
                continue
            server = Counter(state(m) for m in readable if direction in (None, m.direction))
            model = Counter(state(m) for m in expected if direction in (None, m.direction))
            if not self.expect(
                requirement,
                server == model and len(readable) == len(items),
                f"messages of {username!r}: only the server shows {describe(server - model)}, "
                f"only the model {describe(model - server)} ((direction, id, text), acknowledged)",
                about=[username],
            ):
                return False
        return True

    def check_conversation(self, username: str, body: Any, include_messages: bool, effect: Effect) -> None:
        """A conversation object: the one asked for, consistent with itself, and the model's."""
        if not isinstance(body, dict):
            self.expect(effect.messages, False, f"the conversation with {username!r} is not an object")
            return
        self.check_identity(username, body.get("username"))
        has_messages = "messages" in body and body["messages"] is not None
        self.expect(
            Req.CONV_GET_INCLUDE_MESSAGES,
            has_messages == include_messages,
            f"includeMessages={include_messages} answered {'with' if has_messages else 'without'} messages",
        )
        count = body.get("unAcknowledgedMessageCount")
        self.check_flag_agrees(username, body)
        if has_messages and isinstance(body["messages"], list):
            unread = sum(
                1 for item in body["messages"] if isinstance(item, dict) and not item.get("isAcknowledged")
            )
            self.expect(
                Req.CONV_COUNT_MATCHES,
                count == unread,
                f"{username!r}: unAcknowledgedMessageCount {count}, {unread} unacknowledged messages shown",
                about=[username],
            )
        predicted = self.model.summary(username, include_messages=include_messages)
        if predicted is None:
            return
        self.expect(
            effect.active,
            body.get("isActive") == predicted.active,
            f"{username!r}: isActive {body.get('isActive')}, the model says {predicted.active}",
            about=[username],
        )
        if has_messages:
            self.check_messages(username, body["messages"], self.model.messages(username) or [], effect)
        else:
            self.expect(
                effect.messages,
                count == predicted.unacknowledged,
                f"{username!r}: unAcknowledgedMessageCount {count}, model {predicted.unacknowledged}",
                about=[username],
            )

    def check_flag_agrees(self, username: str, item: dict[str, Any]) -> None:
        count = item.get("unAcknowledgedMessageCount")
        flag = item.get("hasUnAcknowledgedMessages")
        self.expect(
            Req.CONV_HAS_UNACK_CONSISTENT,
            isinstance(count, int) and flag == (count > 0),
            f"{username!r}: hasUnAcknowledgedMessages {flag} with unAcknowledgedMessageCount {count}",
            about=[username],
        )

    # --- reading back ---------------------------------------------------------------------
    def look(self, username: str, effect: Effect | None = None) -> None:
        """Read one conversation (messages included, the default) and judge it."""
        predicted = self.model.get(username)
        if predicted is None:
            self.request("GET", username, expected=404, requirement=Req.CONV_GET_404, about=[username])
            return
        requirement = Req.CONV_GET_OK if predicted.active else Req.CONV_CLOSED_READABLE
        response = self.request("GET", username, requirement=requirement, about=[username])
        if response.status_code == 200:
            self.check_conversation(username, json_body(response), True, self.blame(username, effect))

    def check_list(
        self,
        include_inactive: bool | None = None,
        unacknowledged_only: bool | None = None,
        after: tuple[str, Effect] | None = None,
    ) -> None:
        """The list, restricted to the conversations this example vouches for, is the model's.
        After a write (`after`), a count that changed elsewhere is that write's doing."""
        params = {
            "includeInactive": param(include_inactive),
            "unAcknowledgedOnly": param(unacknowledged_only),
        }
        response = self.request(
            "GET", params={k: v for k, v in params.items() if v}, requirement=Req.CONV_LIST_OK
        )
        body = json_body(response)
        if not isinstance(body, list):
            return
        # Only this example's conversations are judged, so a replay sees the same list.
        items = [item for item in body if isinstance(item, dict) and item.get("username") in self.vouched]
        self.expect(
            Req.CONV_LIST_NO_MESSAGES,
            not any("messages" in item for item in items),
            "list items carry messages",
        )
        order = [item["username"] for item in items]
        self.expect(Req.CONV_LIST_ORDER, order == sorted(order), f"the list is ordered {order[:8]}")
        shown = {item["username"]: item for item in items}
        predicted = {
            s.username: s
            for s in self.model.listing(
                include_inactive=bool(include_inactive), unacknowledged_only=bool(unacknowledged_only)
            )
            if s.username in self.vouched
        }
        filters = bool(include_inactive), bool(unacknowledged_only)
        for username in sorted(shown.keys() ^ predicted.keys()):
            where = "listed" if username in shown else "missing from the list"
            requirement = self.membership_requirement(username, *filters)
            self.expect(requirement, False, f"{username!r} {where} with {params}", about=[username])
        if shown.keys() == predicted.keys():
            for requirement in filter_requirements(*filters):
                self.expect(requirement, True)
        for username in sorted(shown.keys() & predicted.keys()):
            self.check_list_item(username, shown[username], predicted[username], after)

    def membership_requirement(self, username: str, include_inactive: bool, unacknowledged_only: bool) -> str:
        """Which filter the server got wrong when `username`'s presence in a list differs.

        A conversation listed with nothing unread broke the unread filter; one the filters
        should have kept but that is missing is asked about once more without the unread
        filter: missing there too, the active filter is the one at fault."""
        conversation = self.model.get(username)
        active_filter = Req.CONV_LIST_INCLUDE_INACTIVE if include_inactive else Req.CONV_LIST_ACTIVE_DEFAULT
        if not unacknowledged_only or conversation is None or not (conversation.active or include_inactive):
            return active_filter
        if conversation.unacknowledged == 0:
            return Req.CONV_LIST_UNACK_FILTER
        params = {"includeInactive": "true"} if include_inactive else None
        again = json_body(self.ctx.call("GET", "conversations", params=params))
        listed = isinstance(again, list) and any(
            isinstance(i, dict) and i.get("username") == username for i in again
        )
        return Req.CONV_LIST_UNACK_FILTER if listed else active_filter

    def check_list_item(
        self, username: str, item: dict[str, Any], predicted: Summary, after: tuple[str, Effect] | None
    ) -> None:
        """One listed conversation against the model. After a write to someone else, a count or
        flag the server changed since it last listed this conversation is that write's doing."""
        self.check_flag_agrees(username, item)
        count, active = shown = item.get("unAcknowledgedMessageCount"), item.get("isActive")
        before = self.listed.get(username)
        self.listed[username] = shown
        moved = after is not None and after[0] != username and before not in (None, shown)
        side_effect = after[1] if after is not None and moved else None
        self.expect(
            side_effect.messages if side_effect else Req.CONV_COUNT_MATCHES,
            count == predicted.unacknowledged,
            f"{username!r}: listed with unAcknowledgedMessageCount {count}, model {predicted.unacknowledged}",
            about=[username],
        )
        self.expect(
            side_effect.active if side_effect else self.blame(username).active,
            active == predicted.active,
            f"{username!r}: listed with isActive {active}, the model says {predicted.active}",
            about=[username],
        )

    # --- the steps ------------------------------------------------------------------------
    def after_write(self, username: str, effect: Effect) -> None:
        """Every write is followed by reading its conversation back and one cheap list, whose
        filters take turns (by the number of writes, so a replay lists the same way)."""
        self.effects[username] = effect
        if self.trusts(username):
            self.look(username, effect)
        self.writes += 1
        self.check_list(*LIST_FILTERS[self.writes % len(LIST_FILTERS)], after=(username, effect))

    def send(self, username: str, text: str) -> None:
        self.post(username, text)
        self.after_write(username, SEND)

    def post(self, username: str, text: str) -> None:
        """Send one message. The model learns of it after the server answered, so that a 5xx
        can still be told to be the (new) username's doing."""
        self.request(
            "POST", username, json=text, expected=CREATED, requirement=Req.CONV_SEND_201, about=[username]
        )
        self.model.send(username, text)

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
        self.after_write(username, ACK_ONE)

    def acknowledge_all(self, username: str) -> None:
        expected = self.model.acknowledge_all(username)
        requirement = Req.CONV_ACK_ALL_404 if expected == NOT_FOUND else Req.CONV_ACK_ALL_200
        self.request("PUT", username, expected=expected, requirement=requirement, about=[username])
        self.after_write(username, ACK_ALL)

    def close(self, username: str) -> None:
        """Close; a closed conversation may be found (204) or not (404), and either way it
        stays closed, so the model closes it unless the server said it found nothing."""
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
        self.after_write(username, CLOSE)

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
    """The state machine for this target: its usernames, its echo peers, its profile.

    `tolerated` requirements are recorded when they fail but do not stop the machine."""
    names = Usernames.for_target(ctx)
    # Echo peers keep their history across examples: they are reached only through
    # `written`, once this example heard from them, so no step depends on older examples.
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
            if conversation is not None and conversation.active:
                self.close(username)
            self.send(username, text)

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
    """Run the machine until it passes, each time tolerating the defects already found.

    Returns the failing MUST/SHOULD requirements in the order found, each with its minimal
    example recorded as its newest evidence. Anything else the machine raises propagates."""
    found: list[str] = []
    for _ in ctx.catalogue:  # a requirement is found at most once: this bounds the loop
        try:
            run_state_machine_as_test(conversations_machine(ctx, found), settings=settings)
        except (RequirementFailed, BaseExceptionGroup) as error:
            new = [r for r in dict.fromkeys(failed_requirements(error)) if r not in found]
            if not new:
                raise
            found += new
        else:
            break
    return found

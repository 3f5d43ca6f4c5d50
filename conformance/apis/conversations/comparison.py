"""The model comparison: what the server shows, judged against `ConversationsModel`.

Every read of the state machine comes here: the status the model expects (blaming the
requirement the step names), slskd's per-response conventions, and then the body, field by
field, against the model's prediction. A disagreement is blamed on the requirement of the
write that predicted it (its `Effect`), so the verdict names the promise that broke.

A failing MUST/SHOULD requirement raises an AssertionError subclass of its own, so that
Hypothesis shrinks towards a minimal sequence failing the *same* requirement; a *tolerated*
requirement (already found and shrunk) is neither raised nor recorded again, and the model
stops vouching for the conversation it concerns. INFO requirements are recorded, never raised.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import requests

from conformance.apis.conversations.model import (
    NOT_FOUND,
    OUTGOING_ID,
    ConversationsModel,
    Direction,
    Message,
    Summary,
)
from conformance.apis.conversations.reading import content, instant, message_of, state
from conformance.checks.choices import is_ordinal
from conformance.checks.context import SuiteContext, request_line
from conformance.checks.failures import failure_for
from conformance.checks.probes import operation_label
from conformance.checks.responses import check_response, json_body
from conformance.requirements.ids import Req
from conformance.requirements.registry import check

CHECK = "stateful"
LIST_REQUIREMENTS = (
    Req.CONV_LIST_OK,
    Req.CONV_LIST_NO_MESSAGES,
    Req.CONV_LIST_ORDER,
    Req.CONV_LIST_ACTIVE_DEFAULT,
    Req.CONV_LIST_INCLUDE_INACTIVE,
    Req.CONV_LIST_UNACK_FILTER,
)


# --- what a step promises -------------------------------------------------------------------
@dataclass(frozen=True)
class Effect:
    """The requirements a write promises, blamed when a later read disagrees with the model."""

    messages: str  # the messages (and counts) the step predicts
    active: str  # the active flag the step predicts
    kept: str | None = None  # that no message disappears, when the step names it
    outgoing: str | None = None  # the outgoing messages, when the step sent one

    @property
    def requirements(self) -> tuple[str, ...]:
        return tuple(r for r in (self.messages, self.active, self.kept, self.outgoing) if r)


SEND = Effect(Req.CONV_SEND_STORES_OUT, Req.CONV_SEND_ACTIVATES, outgoing=Req.CONV_SEND_STORES_OUT)
RECEIVE = Effect(Req.CONV_RECV_UNACK, Req.CONV_RECV_ACTIVATES, outgoing=Req.CONV_SEND_STORES_OUT)
ACK_ONE = Effect(Req.CONV_ACK_ONE_EFFECT, Req.CONV_ACK_KEEPS_ACTIVE)
ACK_ALL = Effect(Req.CONV_ACK_ALL_EFFECT, Req.CONV_ACK_KEEPS_ACTIVE)
CLOSE = Effect(Req.CONV_CLOSE_ACKS_ALL, Req.CONV_CLOSE_INACTIVE, kept=Req.CONV_CLOSE_KEEPS_MESSAGES)
ADOPTED = Effect(Req.CONV_GET_OK, Req.CONV_GET_OK)  # nothing written yet: the server should not change
# Close, then send, read back once: the acknowledgements and kept messages are the close's
# promise, the active flag and the outgoing message the send's.
REOPEN = Effect(CLOSE.messages, SEND.active, kept=CLOSE.kept, outgoing=SEND.outgoing)


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


def folded(username: str) -> str:
    """A username with case and Unicode normalisation taken out (what slskd must not do)."""
    return unicodedata.normalize("NFC", username).casefold()


def passed_before(judged: dict[str, dict[str, Any]], item: Any) -> bool:
    """Whether a list item equals the last item of its username whose conventions passed."""
    username = item.get("username") if isinstance(item, dict) else None
    return isinstance(username, str) and judged.get(username) == item


def is_tricky(username: str) -> bool:
    """Whether a username tests the routes' decoding (USER-ROUNDTRIP) rather than plain ASCII."""
    return any(not (c.isascii() and (c.isalnum() or c in "-_.~")) for c in username)


RequestKey = tuple[str, tuple[str | int, ...], tuple[tuple[str, Any], ...]]


class ModelComparison:
    """Judges what the server shows against the model; the state machine's reads."""

    ctx: SuiteContext
    tolerated: frozenset[str] = frozenset()
    model: ConversationsModel
    vouched: set[str]  # the conversations the model vouches for in this example
    effects: dict[str, Effect]  # per username, what the latest write to it promised
    answered: dict[RequestKey, requests.Response]  # this example's answers still current (`settled`)
    judged_items: dict[str, dict[str, Any]]  # per username, the last list item that passed (this run)

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

    @check(Req.API_NO_SERVER_ERROR, kind="stateful")
    def request(
        self,
        method: str,
        *path: str | int,
        expected: int | tuple[int, ...] = 200,
        requirement: str,
        about: Iterable[str] = (),
        awaiting: bool = False,
        **kwargs: Any,
    ) -> requests.Response:
        """One call to a conversations route, judged: the status the model expects (blaming
        `requirement`), no 5xx it does not expect (a send while not logged in to Soulseek
        answers 500 by design), and slskd's per-response conventions. A question this example
        already asked is answered as it was (`settled`), unless the answer is `awaiting` what
        no write of ours brings (a peer's reply)."""
        segments = ("conversations", *path)
        key = self.request_key(method, path, kwargs)
        response = self.answered.get(key) if key and not awaiting else None
        if response is None:
            response = self.ctx.call(method, *segments, **kwargs)
            self.settled(key, response)
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
            response.status_code < 500 or response.status_code in statuses,
            f"{request_line(response)} answered {response.status_code}",
        )
        listing = method == "GET" and not path
        body = self.unjudged_items(response) if listing else json_body(response)
        defects = check_response(self.ctx, operation_label(method, segments), response, body)
        for defect in defects:
            if defect not in self.tolerated:
                raise failure_for(defect)(f"{defect}: {method} {response.request.path_url}, see evidence")
        if listing and not defects and isinstance(body, list):
            self.judged_items.update(
                (item["username"], item)
                for item in body
                if isinstance(item, dict) and isinstance(item.get("username"), str)
            )
        return response

    def unjudged_items(self, response: requests.Response) -> Any:
        """The part of a list the per-response checks have not passed yet, in this run.

        Every list shows every conversation on the server, those of earlier examples too, so
        judging each item on every list made each example cost more than the one before. The
        checks are judgements of each item on its own (its schema, its nulls, its timestamps),
        so an item equal to one that passed passes again: only the others are judged."""
        body = json_body(response)
        if not isinstance(body, list):
            return body
        return [item for item in body if not passed_before(self.judged_items, item)]

    @staticmethod
    def request_key(method: str, path: tuple[str | int, ...], kwargs: dict[str, Any]) -> RequestKey | None:
        """What identifies a call that asking again cannot answer differently, None for a
        send (a second send stores a second message) or a call with a body."""
        if method == "POST" or kwargs.keys() - {"params"}:
            return None
        return method, path, tuple(sorted((kwargs.get("params") or {}).items()))

    def settled(self, key: RequestKey | None, response: requests.Response) -> None:
        """Remember an answer that asking again cannot change, and forget those a write may have.

        A read stays current until the example sends a write. A write answered 404 changed
        nothing the model knows of; sent again before any other write, it is idempotent
        (PUT, DELETE): it finds what it found. Any other write may change every answer. So an
        example asking the same question twice (Hypothesis draws the same step often, the
        first examples above all) sends it once and judges the one answer twice."""
        if key is not None and key[0] == "GET":
            self.answered[key] = response
        elif key is not None and response.status_code == NOT_FOUND:
            self.answered = {k: r for k, r in self.answered.items() if k[0] != "GET"}
            self.answered[key] = response
        else:
            self.answered = {}

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

    def twins(self, username: str) -> list[str]:
        """Conversations the example vouches for whose username differs from `username` only in
        case or Unicode normalisation: what a careless lookup would also find."""
        key = folded(username)
        return [u for u in self.model.usernames if u != username and u in self.vouched and folded(u) == key]

    def blame(self, username: str, effect: Effect | None = None) -> Effect:
        return effect or self.effects.get(username, ADOPTED)

    # --- checking what the server shows -----------------------------------------------------
    @check(Req.USER_CASE_SENSITIVE, Req.USER_ROUNDTRIP, kind="stateful")
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

    @check(Req.CONV_MSGS_ORDER, Req.DOCGAP_OUT_ID_ZERO, kind="stateful")
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

    @check(Req.CONV_GET_INCLUDE_MESSAGES, Req.CONV_COUNT_MATCHES, kind="stateful")
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

    @check(Req.CONV_HAS_UNACK_CONSISTENT, kind="stateful")
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
    @check(Req.CONV_GET_404, Req.CONV_GET_OK, Req.CONV_CLOSED_READABLE, kind="stateful")
    def look(self, username: str, include_messages: bool | None = None, effect: Effect | None = None) -> None:
        """Read one conversation (messages included unless `include_messages` is False) and
        judge it against the model, blaming `effect` (the step just taken) for a disagreement."""
        predicted = self.model.get(username)
        params = {"includeMessages": param(include_messages)} if include_messages is not None else None
        if predicted is None:
            self.request(
                "GET", username, params=params, expected=404, requirement=Req.CONV_GET_404, about=[username]
            )
            return
        requirement = Req.CONV_GET_OK if predicted.active else Req.CONV_CLOSED_READABLE
        response = self.request("GET", username, params=params, requirement=requirement, about=[username])
        self.judge_conversation(username, response, include_messages is not False, effect)

    def judge_conversation(
        self, username: str, response: requests.Response, include_messages: bool, effect: Effect | None = None
    ) -> None:
        """A read of one conversation against the model, blaming `effect` for a disagreement."""
        if response.status_code == 200:
            shown = json_body(response)
            self.check_conversation(username, shown, include_messages, self.blame(username, effect))

    @check(*LIST_REQUIREMENTS, kind="stateful")
    def check_list(
        self,
        include_inactive: bool | None = None,
        unacknowledged_only: bool | None = None,
    ) -> None:
        """The list, restricted to the conversations this example vouches for, is the model's."""
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
        self.expect(Req.CONV_LIST_ORDER, is_ordinal(order), f"the list is ordered {order[:8]}")
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
            self.check_list_item(username, shown[username], predicted[username])

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

    @check(Req.CONV_WRITES_ISOLATED, kind="stateful")
    def check_others(self, addressed: str) -> None:
        """Every other conversation the example vouches for is as the model has it after a write
        addressed to `addressed`: one list, inactive ones included, shows them all."""
        response = self.request("GET", params={"includeInactive": "true"}, requirement=Req.CONV_LIST_OK)
        body = json_body(response)
        if not isinstance(body, list):
            return
        others = self.vouched - {addressed}
        shown = {
            item["username"]: item
            for item in body
            if isinstance(item, dict) and item.get("username") in others
        }
        predicted = {s.username: s for s in self.model.listing(include_inactive=True) if s.username in others}
        changed = {}
        for username in sorted(shown.keys() | predicted.keys()):
            item, summary = shown.get(username), predicted.get(username)
            if item is None or summary is None:
                changed[username] = "disappeared" if item is None else "appeared"
                continue
            seen = item.get("isActive"), item.get("unAcknowledgedMessageCount")
            if seen != (summary.active, summary.unacknowledged):
                changed[username] = (
                    f"isActive {seen[0]}, unAcknowledgedMessageCount {seen[1]} "
                    f"(the model: {summary.active}, {summary.unacknowledged})"
                )
        self.expect(
            Req.CONV_WRITES_ISOLATED,
            not changed,
            f"a write addressed to {addressed!r} changed other conversations: "
            + "; ".join(f"{username!r} {what}" for username, what in changed.items()),
            about=list(changed),
        )

    @check(Req.CONV_COUNT_MATCHES, kind="stateful")
    def check_list_item(self, username: str, item: dict[str, Any], predicted: Summary) -> None:
        """One listed conversation against the model: its count, its flag, its active state
        (blamed on the latest write to it)."""
        self.check_flag_agrees(username, item)
        count, active = item.get("unAcknowledgedMessageCount"), item.get("isActive")
        self.expect(
            Req.CONV_COUNT_MATCHES,
            count == predicted.unacknowledged,
            f"{username!r}: listed with unAcknowledgedMessageCount {count}, model {predicted.unacknowledged}",
            about=[username],
        )
        self.expect(
            self.blame(username).active,
            active == predicted.active,
            f"{username!r}: listed with isActive {active}, the model says {predicted.active}",
            about=[username],
        )

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

from collections import Counter
from collections.abc import Iterable
from typing import Any

import requests

from conformance.apis.conversations.effects import (
    ADOPTED,
    Effect,
    describe,
    folded,
    is_tricky,
    param,
    passed_before,
)
from conformance.apis.conversations.ids import Conv
from conformance.apis.conversations.model import (
    NOT_FOUND,
    OUTGOING_ID,
    ConversationsModel,
    Direction,
    Message,
)
from conformance.apis.conversations.probes import operation_label
from conformance.apis.conversations.reading import content, message_of, state
from conformance.checks.context import SuiteContext, request_line
from conformance.checks.failures import failure_for
from conformance.checks.responses import check_response, json_body
from conformance.checks.timestamps import instant
from conformance.requirements.ids import Req
from conformance.requirements.registry import check

CHECK = "stateful"


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
        if status >= 500 and unheard and is_tricky(username) and self.ctx.applies(Conv.USER_ROUNDTRIP):
            return Conv.USER_ROUNDTRIP
        if not (unheard and 200 <= status < 300 and self.case_variants(username)):
            return None
        if method == "GET" or self.ctx.call("GET", "conversations", username).status_code == 200:
            return Conv.USER_CASE_SENSITIVE
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
    @check(Conv.USER_CASE_SENSITIVE, Conv.USER_ROUNDTRIP, kind="stateful")
    def check_identity(self, username: str, shown: Any) -> None:
        """The conversation answered is the one asked for: exact case, every character kept."""
        if shown == username:
            if self.case_variants(username):
                self.expect(Conv.USER_CASE_SENSITIVE, True)
            if is_tricky(username):
                self.expect(Conv.USER_ROUNDTRIP, True)
            return
        same_letters = isinstance(shown, str) and shown.casefold() == username.casefold()
        self.expect(
            Conv.USER_CASE_SENSITIVE if same_letters else Conv.USER_ROUNDTRIP,
            False,
            f"asked for the conversation with {username!r}, got {shown!r}",
            about=[username, *([shown] if isinstance(shown, str) else [])],
        )

    @check(Conv.CONV_MSGS_ORDER, Conv.DOCGAP_OUT_ID_ZERO, kind="stateful")
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
            Conv.CONV_MSGS_ORDER, known == sorted(known), f"messages of {username!r} are not oldest first"
        )
        shown = [message_of(item) for item in items]
        outgoing = [m for m in shown if m is not None and m.direction is Direction.OUT]
        if outgoing:
            self.expect(
                Conv.DOCGAP_OUT_ID_ZERO,
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

    @check(Conv.CONV_GET_INCLUDE_MESSAGES, Conv.CONV_COUNT_MATCHES, kind="stateful")
    def check_conversation(self, username: str, body: Any, include_messages: bool, effect: Effect) -> None:
        """A conversation object: the one asked for, consistent with itself, and the model's."""
        if not isinstance(body, dict):
            self.expect(effect.messages, False, f"the conversation with {username!r} is not an object")
            return
        self.check_identity(username, body.get("username"))
        has_messages = "messages" in body and body["messages"] is not None
        self.expect(
            Conv.CONV_GET_INCLUDE_MESSAGES,
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
                Conv.CONV_COUNT_MATCHES,
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

    @check(Conv.CONV_HAS_UNACK_CONSISTENT, kind="stateful")
    def check_flag_agrees(self, username: str, item: dict[str, Any]) -> None:
        count = item.get("unAcknowledgedMessageCount")
        flag = item.get("hasUnAcknowledgedMessages")
        self.expect(
            Conv.CONV_HAS_UNACK_CONSISTENT,
            isinstance(count, int) and flag == (count > 0),
            f"{username!r}: hasUnAcknowledgedMessages {flag} with unAcknowledgedMessageCount {count}",
            about=[username],
        )

    # --- reading back ---------------------------------------------------------------------
    @check(Conv.CONV_GET_404, Conv.CONV_GET_OK, Conv.CONV_CLOSED_READABLE, kind="stateful")
    def look(self, username: str, include_messages: bool | None = None, effect: Effect | None = None) -> None:
        """Read one conversation (messages included unless `include_messages` is False) and
        judge it against the model, blaming `effect` (the step just taken) for a disagreement."""
        predicted = self.model.get(username)
        params = {"includeMessages": param(include_messages)} if include_messages is not None else None
        if predicted is None:
            self.request(
                "GET", username, params=params, expected=404, requirement=Conv.CONV_GET_404, about=[username]
            )
            return
        requirement = Conv.CONV_GET_OK if predicted.active else Conv.CONV_CLOSED_READABLE
        response = self.request("GET", username, params=params, requirement=requirement, about=[username])
        self.judge_conversation(username, response, include_messages is not False, effect)

    def judge_conversation(
        self, username: str, response: requests.Response, include_messages: bool, effect: Effect | None = None
    ) -> None:
        """A read of one conversation against the model, blaming `effect` for a disagreement."""
        if response.status_code == 200:
            shown = json_body(response)
            self.check_conversation(username, shown, include_messages, self.blame(username, effect))

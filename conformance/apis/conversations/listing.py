"""The list's judgement: what `GET /conversations` shows, against the model's listing.

The list is read at the end of every example (each filter in turn) and after every write
(the conversations the write did not address must be unchanged); a username that is listed
or missing where the model disagrees is blamed on the filter the server got wrong.
"""

from __future__ import annotations

from typing import Any

from conformance.apis.conversations.comparison import ModelComparison
from conformance.apis.conversations.effects import filter_requirements, param
from conformance.apis.conversations.ids import Conv
from conformance.apis.conversations.model import Summary
from conformance.checks.choices import is_ordinal
from conformance.checks.responses import json_body
from conformance.requirements.registry import check

LIST_REQUIREMENTS = (
    Conv.CONV_LIST_OK,
    Conv.CONV_LIST_NO_MESSAGES,
    Conv.CONV_LIST_ORDER,
    Conv.CONV_LIST_ACTIVE_DEFAULT,
    Conv.CONV_LIST_INCLUDE_INACTIVE,
    Conv.CONV_LIST_UNACK_FILTER,
)


class ListComparison(ModelComparison):
    """The model comparison, with the list's reads."""

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
            "GET", params={k: v for k, v in params.items() if v}, requirement=Conv.CONV_LIST_OK
        )
        body = json_body(response)
        if not isinstance(body, list):
            return
        # Only this example's conversations are judged, so a replay sees the same list.
        items = [item for item in body if isinstance(item, dict) and item.get("username") in self.vouched]
        self.expect(
            Conv.CONV_LIST_NO_MESSAGES,
            not any("messages" in item for item in items),
            "list items carry messages",
        )
        order = [item["username"] for item in items]
        self.expect(Conv.CONV_LIST_ORDER, is_ordinal(order), f"the list is ordered {order[:8]}")
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
        active_filter = Conv.CONV_LIST_INCLUDE_INACTIVE if include_inactive else Conv.CONV_LIST_ACTIVE_DEFAULT
        if not unacknowledged_only or conversation is None or not (conversation.active or include_inactive):
            return active_filter
        if conversation.unacknowledged == 0:
            return Conv.CONV_LIST_UNACK_FILTER
        params = {"includeInactive": "true"} if include_inactive else None
        again = json_body(self.ctx.call("GET", "conversations", params=params))
        listed = isinstance(again, list) and any(
            isinstance(i, dict) and i.get("username") == username for i in again
        )
        return Conv.CONV_LIST_UNACK_FILTER if listed else active_filter

    @check(Conv.CONV_WRITES_ISOLATED, kind="stateful")
    def check_others(self, addressed: str) -> None:
        """Every other conversation the example vouches for is as the model has it after a write
        addressed to `addressed`: one list, inactive ones included, shows them all."""
        response = self.request("GET", params={"includeInactive": "true"}, requirement=Conv.CONV_LIST_OK)
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
            Conv.CONV_WRITES_ISOLATED,
            not changed,
            f"a write addressed to {addressed!r} changed other conversations: "
            + "; ".join(f"{username!r} {what}" for username, what in changed.items()),
            about=list(changed),
        )

    @check(Conv.CONV_COUNT_MATCHES, kind="stateful")
    def check_list_item(self, username: str, item: dict[str, Any], predicted: Summary) -> None:
        """One listed conversation against the model: its count, its flag, its active state
        (blamed on the latest write to it)."""
        self.check_flag_agrees(username, item)
        count, active = item.get("unAcknowledgedMessageCount"), item.get("isActive")
        self.expect(
            Conv.CONV_COUNT_MATCHES,
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

"""What a step of the state machine promises, and the small judgements of names and bodies.

A write's `Effect` names the requirements a later read blames when it disagrees with the
model (send, receive, acknowledge one or all, close, and a close followed by a send); the
helpers say which list filters verify what, how a difference is shown, and which usernames
test the routes' decoding. `comparison` uses them to judge; `steps` and `rules` to predict.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass
from typing import Any

from conformance.apis.conversations.ids import Conv


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


SEND = Effect(Conv.CONV_SEND_STORES_OUT, Conv.CONV_SEND_ACTIVATES, outgoing=Conv.CONV_SEND_STORES_OUT)
RECEIVE = Effect(Conv.CONV_RECV_UNACK, Conv.CONV_RECV_ACTIVATES, outgoing=Conv.CONV_SEND_STORES_OUT)
ACK_ONE = Effect(Conv.CONV_ACK_ONE_EFFECT, Conv.CONV_ACK_KEEPS_ACTIVE)
ACK_ALL = Effect(Conv.CONV_ACK_ALL_EFFECT, Conv.CONV_ACK_KEEPS_ACTIVE)
CLOSE = Effect(Conv.CONV_CLOSE_ACKS_ALL, Conv.CONV_CLOSE_INACTIVE, kept=Conv.CONV_CLOSE_KEEPS_MESSAGES)
ADOPTED = Effect(Conv.CONV_GET_OK, Conv.CONV_GET_OK)  # nothing written yet: the server should not change
# Close, then send, read back once: the acknowledgements and kept messages are the close's
# promise, the active flag and the outgoing message the send's.
REOPEN = Effect(CLOSE.messages, SEND.active, kept=CLOSE.kept, outgoing=SEND.outgoing)


def filter_requirements(include_inactive: bool, unacknowledged_only: bool) -> tuple[str, ...]:
    """The requirements a list answered with these filters verifies."""
    return (
        Conv.CONV_LIST_INCLUDE_INACTIVE if include_inactive else Conv.CONV_LIST_ACTIVE_DEFAULT,
        *((Conv.CONV_LIST_UNACK_FILTER,) if unacknowledged_only else ()),
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

"""Reading the server's JSON in the model's terms: messages, their identity, their moment.

The state machine compares what slskd shows with `ConversationsModel`; these functions turn
one JSON message into a `Message`, say what identifies it regardless of acknowledgement, and
order timestamps with all seven fractional digits slskd may write.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from conformance.apis.conversations.model import OUTGOING_ID, Direction, Message

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

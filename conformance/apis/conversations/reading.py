"""Reading the server's JSON in the model's terms: messages, their identity, their moment.

The state machine compares what slskd shows with `ConversationsModel`; these functions turn
one JSON message into a `Message`, say what identifies it regardless of acknowledgement, and
order timestamps with all seven fractional digits slskd may write.
"""

from __future__ import annotations

from typing import Any

from conformance.apis.conversations.model import OUTGOING_ID, Direction, Message


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

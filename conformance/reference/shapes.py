"""The JSON shapes of slskd's Conversation and PrivateMessage, as System.Text.Json writes them.

camelCase names in declaration order, enums as their PascalCase names, null properties
left out, timestamps in UTC with `Z`. The shape faults live here and only here, so a
mutant differs from the faithful server in exactly one property of the output.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from conformance.reference.clock import format_timestamp
from conformance.reference.store import StoredMessage
from conformance.reference.variants import Representation

LOCAL_OFFSET = ("+02:00", timedelta(hours=2))  # the timestamp-offset fault: Central European Summer Time


class Shapes:
    """Renders stored state as slskd's JSON objects, with the switched-on shape faults."""

    def __init__(self, faults: frozenset[str], representation: Representation | None = None) -> None:
        self._representation = representation or Representation()
        self._active_key = "active" if "field-renamed" in faults else "isActive"
        self._acknowledged_key = None if "field-missing" in faults else "isAcknowledged"
        self._count_as_text = "field-mistyped" in faults
        self._null_messages = "field-null" in faults
        self._lowercase_enum = "enum-lowercase" in faults
        self._zone = "" if "timestamp-no-zone" in faults else self._representation.zone
        self._shift = timedelta(0)
        if "timestamp-offset" in faults:  # the same instant, written as a local time
            self._zone, self._shift = LOCAL_OFFSET
        self._count_extra = 1 if "count-off-by-one" in faults else 0
        self._has_unacknowledged_broken = "has-unack-wrong" in faults

    def conversation(
        self, username: str, active: bool, unacknowledged: int, messages: list[StoredMessage] | None
    ) -> dict[str, Any]:
        """A Conversation; `messages` None leaves the property out, as slskd does when not loaded."""
        count = unacknowledged + self._count_extra if unacknowledged else 0
        shape: dict[str, Any] = {
            "username": username,
            self._active_key: active,
            "unAcknowledgedMessageCount": str(count) if self._count_as_text else count,
            "hasUnAcknowledgedMessages": count > 0 and not self._has_unacknowledged_broken,
        }
        if messages is not None:
            shape["messages"] = [self.message(m) for m in messages]
        elif self._null_messages:
            shape["messages"] = None
        return shape | self._representation.extra("conversation")

    def message(self, message: StoredMessage) -> dict[str, Any]:
        shape: dict[str, Any] = {
            "timestamp": format_timestamp(
                message.timestamp,
                zone=self._zone,
                fraction=self._representation.fraction(message.timestamp),
                shift=self._shift,
            ),
            "id": message.id,
            "username": message.username,
            "direction": message.direction.lower() if self._lowercase_enum else message.direction,
            "message": message.message,
        }
        if self._acknowledged_key:
            shape[self._acknowledged_key] = message.acknowledged
        shape["wasReplayed"] = message.replayed
        return shape | self._representation.extra("message")

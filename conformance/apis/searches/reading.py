"""Reading slskd's search JSON in the model's terms: states, moments, responses' identity.

The model (`conformance.apis.searches.model`) judges plain values; these functions turn the
server's JSON into them, and say what a malformed value is, so a check can name it.
"""

from __future__ import annotations

import json
from typing import Any

from conformance.checks.timestamps import instant

REQUESTED, QUEUED, IN_PROGRESS, COMPLETED = "Requested", "Queued", "InProgress", "Completed"
ORDER = {REQUESTED: 0, QUEUED: 1, IN_PROGRESS: 2, COMPLETED: 3}
REASONS = ("ResponseLimitReached", "FileLimitReached", "TimedOut", "Cancelled", "Errored")
RUNNING = (REQUESTED, QUEUED, IN_PROGRESS)


def parse_state(text: Any) -> tuple[str, str | None] | None:
    """(base state, completion reason) of a state string as slskd writes it (`"InProgress"`,
    `"Completed, TimedOut"`: a flags enum, ", "-separated); None when it is not one."""
    if not isinstance(text, str):
        return None
    if text in RUNNING:
        return text, None
    base, separator, reason = text.partition(", ")
    if base == COMPLETED and separator and reason in REASONS:
        return COMPLETED, reason
    return None


def seconds(timestamp: Any) -> float | None:
    """A timestamp as Unix seconds (the oracle's clock); None when absent or not one."""
    moment = instant(timestamp)
    if moment is None:
        return None
    when, ticks = moment
    return when.replace(microsecond=0).timestamp() + ticks / 10**7


def response_key(response: Any) -> str:
    """What identifies one stored response: its username (a peer answers a search once)."""
    return str(response.get("username")) if isinstance(response, dict) else json.dumps(response, default=str)


def responses_of(body: Any) -> list[dict[str, Any]] | None:
    """The responses of a `GET …/responses` body (a list) or of a search (its `responses`);
    None when the body holds none in a readable form."""
    items = body.get("responses") if isinstance(body, dict) else body
    if items is None and isinstance(body, dict):
        return []
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        return None
    return items


def count(body: Any, field: str) -> int | None:
    value = body.get(field) if isinstance(body, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None

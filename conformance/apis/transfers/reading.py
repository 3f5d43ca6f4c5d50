"""Reading slskd's Transfer JSON in the model's terms: states, stages, numbers.

slskd writes a transfer's state as Soulseek.NET's flags enum, `", "`-separated
(`"Queued, Remotely"`, `"Completed, Succeeded"`); the model (`model`) judges plain values, and
these functions say what a malformed value is, so that a check can name it.
"""

from __future__ import annotations

from typing import Any

QUEUED_LOCALLY, REQUESTED, QUEUED_REMOTELY = "Queued, Locally", "Requested", "Queued, Remotely"
INITIALIZING, IN_PROGRESS, COMPLETED = "Initializing", "InProgress", "Completed"
# The stages of one attempt, in the order a download passes them (peers-and-apis.md §3.2.3)
STAGES = {QUEUED_LOCALLY: 0, REQUESTED: 1, QUEUED_REMOTELY: 2, INITIALIZING: 3, IN_PROGRESS: 4, COMPLETED: 5}
ENDINGS = ("Succeeded", "Cancelled", "TimedOut", "Errored", "Rejected", "Aborted")


def parse_state(text: Any) -> tuple[str, str | None] | None:
    """(stage, ending) of a state string as slskd writes it: the ending only for a completed
    transfer (`("Completed", "Rejected")`); None when the text is not one of slskd's states."""
    if not isinstance(text, str):
        return None
    if text in STAGES and text != COMPLETED:
        return text, None
    stage, separator, ending = text.partition(", ")
    if stage == COMPLETED and separator and ending in ENDINGS:
        return COMPLETED, ending
    return None


def number(body: Any, name: str) -> float | None:
    """A numeric field of a transfer (None when absent, null or not a number; a bool is not one)."""
    value = body.get(name) if isinstance(body, dict) else None
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None

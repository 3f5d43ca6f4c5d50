"""Reading slskd's Users JSON in the model's terms: which of the accepted shapes an answer took.

A browse is slskd's BrowseResponse object or the docs' List[Directory]; a folder's contents an
array of Directory (slskd) or one Directory (docs); a browse's progress an object (slskd) or a
bare number (docs). These say which reading a body took and hand its parts to the model
(`model`), or None when it is neither, so that a check can name a malformed answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

OBJECT, LIST, NUMBER = "object", "list", "number"


@dataclass(frozen=True)
class BrowseBody:
    """A browse's answer in either reading: the open directories and (slskd) the locked ones.

    In the docs' reading the list holds both, open first: `locked` is None and the model splits
    `directories` by what the peer shares."""

    reading: str
    directories: list[Any]
    locked: list[Any] | None = None
    counts: tuple[Any, Any] | None = None  # (directoryCount, lockedDirectoryCount) of the object


def browse_body(body: Any) -> BrowseBody | None:
    """The parts of a browse's answer; None when it is neither a BrowseResponse nor a list."""
    if isinstance(body, list):
        return BrowseBody(LIST, body)
    if isinstance(body, dict) and isinstance(body.get("directories"), list):
        locked = body.get("lockedDirectories")
        return BrowseBody(
            OBJECT,
            body["directories"],
            locked if isinstance(locked, list) else [],
            (body.get("directoryCount"), body.get("lockedDirectoryCount")),
        )
    return None


def directories_body(body: Any) -> tuple[str, list[Any]] | None:
    """(reading, directories) of a folder contents answer: an array, or one Directory object."""
    if isinstance(body, list):
        return LIST, body
    if isinstance(body, dict) and "files" in body:
        return OBJECT, [body]
    return None


def progress_body(body: Any) -> tuple[str, float | None, dict[str, Any]]:
    """(reading, percentComplete, the object's fields) of a browse's progress; the percentage is
    None when the body carries no number for it."""
    if isinstance(body, dict):
        percent = body.get("percentComplete")
        return OBJECT, percent if _is_number(percent) else None, body
    return NUMBER, body if _is_number(body) else None, {}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)

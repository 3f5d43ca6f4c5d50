"""Which written timestamps are UTC (API-TIMESTAMP-UTC), exactly.

slskd writes `Z`; RFC 3339 writes the same instant as `+00:00`, so both are UTC and both
are accepted readings. Every other form is flagged, at the requirement's level (SHOULD:
the docs' `format: date-time` allows any offset, and only slskd's facts say UTC):

- another offset, even one naming the same instant (`+02:00`): a client that shows the
  timestamp as written shows a local time the requirement did not ask for;
- `-00:00`, which RFC 3339 §4.3 reserves for "the local offset is unknown";
- no zone at all, or more than the 7 fractional digits .NET writes: no instant a client
  can place.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

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


UTC_FORMS = {"Z": "zulu", "+00:00": "zero-offset"}  # suffix → the catalogue's reading


def zone_reading(timestamp: Any) -> str | None:
    """The UTC form a timestamp takes ("zulu" or "zero-offset"); None for any other form."""
    if instant(timestamp) is None:
        return None
    return next((reading for suffix, reading in UTC_FORMS.items() if timestamp.endswith(suffix)), None)


def is_utc_timestamp(timestamp: Any) -> bool:
    """An ISO-8601 date-time written in UTC: `Z` or `+00:00`, up to 7 fractional digits."""
    return zone_reading(timestamp) is not None


def not_utc(timestamps: Iterable[Any]) -> str | None:
    """What is wrong with the timestamps that are not UTC, or None when all of them are.

    An offset naming a real instant is said to be one, so that a report reader sees the
    clock is right and the form is not."""
    bad = [stamp for stamp in timestamps if not is_utc_timestamp(stamp)]
    if not bad:
        return None
    offsets = [stamp for stamp in bad if instant(stamp) is not None]
    unplaced = [stamp for stamp in bad if instant(stamp) is None]
    said = []
    if offsets:
        said.append(f"with an offset other than UTC (Z or +00:00): {offsets[:3]}")
    if unplaced:
        said.append(f"without a UTC zone: {unplaced[:3]}")
    return "timestamps " + "; ".join(said)

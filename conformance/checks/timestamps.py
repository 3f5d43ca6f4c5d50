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

from collections.abc import Iterable
from typing import Any

from conformance.apis.conversations.reading import instant

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

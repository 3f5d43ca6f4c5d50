"""slskd's JSON conventions, judged one response at a time."""

from __future__ import annotations

import pytest

from conformance.checks.responses import is_utc_timestamp, walk


@pytest.mark.parametrize(
    "text",
    [
        "2026-01-02T03:04:05Z",
        "2026-01-02T03:05:06.1234567Z",
        "2026-01-02T03:05:06.5Z",
        "2026-01-02T03:04:05+00:00",
    ],
)
def test_utc_timestamps_as_slskd_writes_them_are_accepted(text: str) -> None:
    assert is_utc_timestamp(text)


@pytest.mark.parametrize(
    "text",
    ["2026-01-02T03:04:05", "2026-01-02T03:04:05.123456", "2026-01-02", "yesterday", 1767323045, None, ""],
)
def test_timestamps_without_a_zone_or_not_dates_are_refused(text: object) -> None:
    assert not is_utc_timestamp(text)


def test_walk_names_every_value_by_its_property() -> None:
    body = [{"username": "a", "messages": [{"direction": "In"}, {"direction": None}]}]
    pairs = list(walk(body))
    assert ("direction", "In") in pairs
    assert ("direction", None) in pairs
    assert ("username", "a") in pairs

"""Where the docs leave a choice, every accepted reading passes and is named (catalogue `readings:`)."""

from __future__ import annotations

import pytest

from conformance.apis.conversations.ids import Conv
from conformance.checks.choices import READERS, is_ordinal, media_type_reading, zone_reading
from conformance.requirements.catalogue import load_catalogue
from conformance.requirements.ids import Req


@pytest.mark.parametrize(
    "names",
    [
        ["Alice", "alice", "bob"],
        ["\uff21-fullwidth", "\U0001f600-emoji"],  # code point order (SQLite)
        ["\U0001f600-emoji", "\uff21-fullwidth"],  # UTF-16 code unit order (.NET ordinal)
    ],
)
def test_either_ordinal_order_is_accepted(names: list[str]) -> None:
    assert is_ordinal(names)


def test_any_other_order_is_not() -> None:
    assert not is_ordinal(["bob", "alice"])
    assert not is_ordinal(["alice", "Alice"]), "ordinal: upper case first"


@pytest.mark.parametrize(
    ("content_type", "reading"),
    [
        ("application/json; charset=utf-8", "charset-utf-8"),
        ("Application/JSON; Charset=UTF-8", "charset-utf-8"),
        ("application/json", "no-parameter"),
        ("text/plain", None),
        (None, None),
    ],
)
def test_the_media_type_reading(content_type: str | None, reading: str | None) -> None:
    assert media_type_reading(content_type) == reading


@pytest.mark.parametrize(
    ("timestamp", "reading"),
    [("2026-01-01T00:00:00Z", "zulu"), ("2026-01-01T00:00:00.5+00:00", "zero-offset"), ("2026-01-01", None)],
)
def test_the_zone_reading(timestamp: str, reading: str | None) -> None:
    assert zone_reading(timestamp) == reading


def test_every_reading_a_check_names_is_in_the_catalogue() -> None:
    catalogue = load_catalogue()
    named = {
        Req.API_CONTENT_TYPE: {"charset-utf-8", "no-parameter"},
        Req.API_TIMESTAMP_UTC: {"zulu", "zero-offset"},
        Conv.CONV_CLOSE_204: {"close-again", "closed-not-found"},  # the state machine's close
    }
    assert set(READERS) <= set(named)
    for requirement, readings in named.items():
        assert readings <= {reading.id for reading in catalogue[requirement].readings}


def test_every_listed_reading_says_what_it_accepts_and_why() -> None:
    listed = [r for requirement in load_catalogue().values() for r in requirement.readings]
    assert len(listed) >= 10
    assert all(reading.id and reading.says and reading.source for reading in listed)
    for requirement in load_catalogue().values():
        assert len(requirement.readings) != 1, f"{requirement.id}: one reading is no choice"

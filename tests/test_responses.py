"""slskd's JSON conventions, judged one response at a time."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conformance.checks.responses import schema_problem, walk
from conformance.checks.timestamps import is_utc_timestamp, not_utc


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


@pytest.mark.parametrize(
    "text",
    [
        "2026-01-02T05:04:05+02:00",
        "2026-01-01T22:04:05-05:00",
        "2026-01-02T03:04:05-00:00",
        "2026-01-02T03:04:05z",
    ],
)
def test_the_same_instant_with_another_offset_is_not_utc(text: str) -> None:
    """Only Z and +00:00 say UTC; -00:00 says the offset is unknown (RFC 3339 §4.3)."""
    assert not is_utc_timestamp(text)


def test_a_non_utc_offset_is_told_apart_from_a_missing_zone() -> None:
    said = not_utc(["2026-01-02T03:04:05Z", "2026-01-02T05:04:05+02:00", "2026-01-02T03:04:05"])
    assert said == (
        "timestamps with an offset other than UTC (Z or +00:00): ['2026-01-02T05:04:05+02:00']; "
        "without a UTC zone: ['2026-01-02T03:04:05']"
    )
    assert not_utc(["2026-01-02T03:04:05Z", "2026-01-02T03:04:05.5+00:00"]) is None


def test_walk_names_every_value_by_its_property() -> None:
    body = [{"username": "a", "messages": [{"direction": "In"}, {"direction": None}]}]
    pairs = list(walk(body))
    assert ("direction", "In") in pairs
    assert ("direction", None) in pairs
    assert ("username", "a") in pairs


SPEC = {
    "paths": {
        "/things": {
            "get": {
                "responses": {
                    "200": {
                        "content": {
                            "application/json": {
                                "schema": {"type": "array", "items": {"$ref": "#/components/schemas/Thing"}}
                            }
                        }
                    }
                }
            }
        }
    },
    "components": {
        "schemas": {
            "Thing": {
                "type": "object",
                "required": ["id"],
                "properties": {"id": {"type": "integer"}, "at": {"type": "string", "format": "date-time"}},
            }
        }
    },
}


def test_a_body_that_matches_its_model_has_no_schema_problem() -> None:
    # formats are not judged here (the timestamp check does that), as jsonschema without a format checker
    body = [{"id": n, "at": "not a date"} for n in range(500)]
    assert schema_problem(SPEC, "GET /things", 200, body) is None


def test_a_body_that_does_not_match_names_the_wrong_property() -> None:
    body = [{"id": 1}, {"id": "two"}]
    problem = schema_problem(SPEC, "GET /things", 200, body)
    assert problem == "GET /things 200: 1/id: 'two' is not of type 'integer'"


def test_a_pattern_only_python_reads_is_still_judged() -> None:
    """jsonschema-rs cannot compile `(?P<name>…)`; jsonschema judges such a model instead."""
    spec = {
        "paths": {"/t": {"get": {"responses": {"200": {"content": {"application/json": {"schema": {
            "type": "string", "pattern": "^(?P<word>[a-z]+)$",
        }}}}}}}},
    }  # fmt: skip
    assert schema_problem(spec, "GET /t", 200, "fine") is None
    assert schema_problem(spec, "GET /t", 200, "Not Fine") == (
        "GET /t 200: the body: 'Not Fine' does not match '^(?P<word>[a-z]+)$'"
    )


def test_an_undocumented_answer_has_no_schema_problem() -> None:
    assert schema_problem(SPEC, "GET /things", 404, "anything") is None
    assert schema_problem(SPEC, "GET /other", 200, "anything") is None


def test_a_body_that_matches_is_judged_without_loading_jsonschema() -> None:
    """jsonschema takes ~0.1 s to import; a run whose bodies all match never pays it."""
    program = (
        "import sys; from tests.test_responses import SPEC; "
        "from conformance.checks.responses import schema_problem; "
        "assert schema_problem(SPEC, 'GET /things', 200, [{'id': 1}]) is None; "
        "assert 'jsonschema' not in sys.modules, 'loaded'"
    )
    subprocess.run([sys.executable, "-c", program], check=True, cwd=Path(__file__).parents[1])

"""A failure reads as one block: the requirement, the answer that broke it, curl lines to replay it."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.reporting.failures import CURL_LINES, failure_block, failure_blocks
from conformance.requirements.catalogue import Level, Requirement
from tests.cli import conformance_run

REQUIREMENT = Requirement(
    "CONV-ACK-ONE-404",
    Level.MUST,
    "PUT answers 404 for an unknown id.",
    ("PUT /conversations/{username}/{id}",),
    "docs",
)
GAP = Requirement("DOCGAP-X", Level.INFO, "A gap.", (), "docs")


def exchange(method: str, url: str, status: int | None, body: str = "") -> dict:
    response = None if status is None else {"status": status, "headers": {}, "body": body, "elapsed_ms": 1.0}
    return {
        "request": {"method": method, "url": url, "headers": {}, "body": None},
        "response": response,
        "error": None if status else "connection refused",
    }


def evidence(*exchanges: dict) -> dict:
    return {
        "check": "probe",
        "message": "PUT /api/v0/conversations/bob/9 answered 200, expected 404",
        "exchanges": list(exchanges),
        "curl": [f"curl -X {x['request']['method']} {x['request']['url']}" for x in exchanges],
    }


def test_a_block_names_the_requirement_the_request_the_answer_and_how_to_replay_it() -> None:
    block = failure_block(
        REQUIREMENT,
        evidence(exchange("POST", "http://h/c/bob", 201), exchange("PUT", "http://h/c/bob/9", 500, '"boom"')),
    )
    assert block.splitlines() == [
        "CONV-ACK-ONE-404 (MUST): PUT answers 404 for an unknown id.",
        "  failed:   PUT /api/v0/conversations/bob/9 answered 200, expected 404",
        '  answer:   PUT http://h/c/bob/9 → 500 "boom"',
        "  reproduce the sequence (2 requests, the last one failed):",
        "    curl -X POST http://h/c/bob",
        "    curl -X PUT http://h/c/bob/9",
    ]


def test_a_long_sequence_shows_its_tail_and_says_where_the_rest_is() -> None:
    calls = [exchange("GET", f"http://h/{n}", 200) for n in range(CURL_LINES + 3)]
    lines = failure_block(REQUIREMENT, evidence(*calls)).splitlines()
    assert "    # … 3 earlier requests: see the HTML report" in lines
    assert lines[-1] == f"    curl -X GET http://h/{CURL_LINES + 2}"


def test_no_answer_and_an_empty_body_are_said_in_words() -> None:
    assert "→ no response: connection refused" in failure_block(
        REQUIREMENT, evidence(exchange("GET", "u", None))
    )
    assert "→ 200 (empty body)" in failure_block(REQUIREMENT, evidence(exchange("GET", "u", 200)))


def test_documentation_gaps_get_a_block_only_when_they_count_as_defects() -> None:
    catalogue = {r.id: r for r in (REQUIREMENT, GAP)}
    newest = {"CONV-ACK-ONE-404": evidence(), "DOCGAP-X": evidence()}
    assert "DOCGAP-X" not in failure_blocks(catalogue, newest, strict_docs=False)
    assert "DOCGAP-X (INFO)" in failure_blocks(catalogue, newest, strict_docs=True)


@pytest.mark.slow
def test_a_generated_case_fails_with_a_block_not_a_traceback(tmp_path: Path) -> None:
    completed = conformance_run(
        tmp_path, "--server-behaviour", "slskd", "--no-shrink", "-k", "test_operation"
    )
    out = completed.stdout
    assert completed.returncode == 1, out + completed.stderr
    failures = out[out.index("= FAILURES =") : out.index("slskd conformance")]
    assert "API-NO-SERVER-ERROR (MUST): " in failures and "→ 500 " in failures
    assert '-H "X-API-Key: $SLSKD_API_KEY"' in failures
    assert "site-packages" not in failures and "Traceback" not in failures
    assert len(failures.splitlines()) < 40

"""The terminal summary: the verdict first, then one line per defect, coverage and where to look."""

from __future__ import annotations

from pathlib import Path

from conformance.reporting.terminal import summary_lines
from tests.fixtures.results import load


def test_a_non_conformant_run_lists_defects_by_level_with_their_messages() -> None:
    lines = summary_lines(load("non_conformant"))
    assert lines[0] == "verdict: NON-CONFORMANT (2 defects, 1 documentation gap)"
    must = lines.index("  MUST defects (1):")
    assert lines[must + 1].startswith("    CONV-GET-404: GET /conversations/nobody-7f3a answered 200")
    should = lines.index("  SHOULD defects (1):")
    assert lines[should + 1].startswith("    CONV-LIST-UNACK-FILTER: ")
    assert "  documentation gaps (1, not counted as defects):" in lines


def test_auth_checks_that_did_not_run_are_said_right_under_the_verdict() -> None:
    results = load("conformant")
    results["run"]["authentication"] = {
        "state": "unknown",
        "reason": "GET /api/v0/session/enabled answered 404; without credentials GET /api/v0/conversations "
        "answered 500",
        "served_anonymously": [],
    }
    lines = summary_lines(results)
    assert lines[1] == (
        "  auth checks not run: authentication is unknown (GET /api/v0/session/enabled answered 404; "
        "without credentials GET /api/v0/conversations answered 500)"
    )


def test_coverage_and_uncovered_ids_are_listed() -> None:
    lines = summary_lines(load("non_conformant"))
    assert "  requirements covered: 56/59 (95%)" in lines
    uncovered = lines.index("  not covered (2):")
    assert lines[uncovered + 1 : uncovered + 3] == [
        "    no check of this run exercised them:",
        "      CONV-MSGS-WINDOW, MSG-WAS-REPLAYED",
    ]


def test_why_a_requirement_is_not_covered_is_said_in_the_terminal() -> None:
    results = load("non_conformant")
    for row in results["requirements"]:
        if row["status"] == "not-covered":
            row["reason"] = "every request answered 404 ('not found', as documented)"
    lines = summary_lines(results)
    uncovered = lines.index("  not covered (2):")
    assert lines[uncovered + 1] == "    every request answered 404 ('not found', as documented):"


def test_why_a_requirement_is_skipped_is_said_in_the_terminal() -> None:
    results = load("non_conformant")
    passed = [row for row in results["requirements"] if row["status"] == "pass"][:3]
    reasons = ("the read-only profile sends no writes", "needs a logged-in target", None)
    for row, reason in zip(passed, reasons, strict=True):
        row["status"], row["reason"] = "skipped", reason
    lines = summary_lines(results)
    listed = lines[lines.index("  skipped (4):") + 1 :]
    shown = (
        "the read-only profile sends no writes",
        "needs a logged-in target",
        "skipped with no reason recorded",
    )
    for row, reason in zip(passed, shown, strict=True):
        assert row["id"] in listed[listed.index(f"    {reason}:") + 1]
    assert "    no --readonly-api-key given:" in listed  # the fixture's own skip, with its reason


def test_many_reasons_under_one_head_are_one_line_with_the_count_and_where_they_are_listed() -> None:
    results = load("non_conformant")
    passed = [row for row in results["requirements"] if row["status"] == "pass"][:4]
    for number, row in enumerate(passed):  # a read-only live run's reads, each with its own why
        row["status"], row["reason"] = "skipped", f"not sent to a live slskd: side effect {number}"
    passed[3]["reason"] = passed[2]["reason"]
    lines = summary_lines(results, Path("reports/20261124T115500Z-0"))
    folded = [line for line in lines if "not sent to a live slskd" in line]
    assert folded == [
        "    not sent to a live slskd: 4 requirements, each with its reason in "
        "reports/20261124T115500Z-0/index.html, under Skipped"
    ]
    assert not any(row["id"] in line for row in passed for line in lines)


def test_the_reports_folder_is_named_when_given() -> None:
    lines = summary_lines(load("conformant"), Path("reports/20261124T115500Z-0"))
    assert lines[-1] == "  reports: reports/20261124T115500Z-0/index.html, junit.xml, results.json"
    assert not any("reports:" in line for line in summary_lines(load("conformant")))


def test_a_conformant_run_has_no_defect_lines_and_every_line_is_short() -> None:
    lines = summary_lines(load("conformant"))
    assert lines[0] == "verdict: CONFORMANT (0 defects, 0 documentation gaps)"
    assert not any("defects (" in line for line in lines)
    assert all(len(line) <= 130 for line in summary_lines(load("non_conformant")))

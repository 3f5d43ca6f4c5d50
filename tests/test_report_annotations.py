"""GitHub annotations: defects become errors, documentation gaps become warnings."""

from __future__ import annotations

from conformance.reporting.annotations import github_annotations
from tests.fixtures.results import load


def test_defects_are_errors_and_gaps_are_warnings() -> None:
    lines = github_annotations(load("non_conformant"))
    errors = [line for line in lines if line.startswith("::error ")]
    warnings = [line for line in lines if line.startswith("::warning ")]
    assert sorted(line.split("title=")[1].split(" ")[0] for line in errors) == [
        "CONV-GET-404",
        "CONV-LIST-UNACK-FILTER",
    ]
    assert [line.split("title=")[1].split(" ")[0] for line in warnings] == ["DOCGAP-SEND-BLACKLISTED-200"]
    assert all("\n" not in line for line in lines)


def test_a_conformant_run_annotates_nothing() -> None:
    assert github_annotations(load("conformant")) == []


def test_strict_docs_turns_a_gap_into_an_error() -> None:
    results = load("non_conformant")
    results["run"]["strict_docs"] = True
    lines = github_annotations(results)
    assert any(line.startswith("::error title=DOCGAP-SEND-BLACKLISTED-200") for line in lines)
    assert not any(line.startswith("::warning") for line in lines)

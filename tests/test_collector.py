"""Verdicts roll up per requirement: defects, documentation gaps, coverage and evidence."""

from __future__ import annotations

from conformance.requirements.catalogue import load_catalogue
from conformance.results.collector import EVIDENCE_PER_REQUIREMENT, CaseRecorder, RunResults
from conformance.results.exchange import Exchange


def recorder() -> CaseRecorder:
    return CaseRecorder(redact=lambda exchange: exchange.to_dict(), curl=lambda exchange: exchange.url)


def results_of(*records: tuple[str, bool]) -> RunResults:
    rec = recorder()
    for requirement, ok in records:
        rec.record(requirement, ok, "why")
    results = RunResults(load_catalogue())
    results.absorb(rec.drain())
    return results


def test_a_requirement_nobody_checked_is_not_covered() -> None:
    results = results_of(("CONV-GET-404", True))
    assert results.status("CONV-GET-404") == "pass"
    assert results.status("CONV-MSGS-404") == "not-covered"
    assert results.summary(strict_docs=False)["covered"] == 1


def test_one_failure_fails_the_requirement_and_the_run() -> None:
    results = results_of(("CONV-GET-404", True), ("CONV-GET-404", False))
    assert results.status("CONV-GET-404") == "fail"
    summary = results.summary(strict_docs=False)
    assert summary["verdict"] == "non-conformant"
    assert summary["defects"] == 1


def test_a_documentation_gap_is_reported_but_fails_only_with_strict_docs() -> None:
    results = results_of(("DOCGAP-LENIENT-BINDING", False))
    assert results.summary(strict_docs=False) | {"by_level": None} == results.summary(False) | {
        "by_level": None
    }
    assert results.summary(strict_docs=False)["verdict"] == "conformant"
    assert results.summary(strict_docs=False)["doc_gaps"] == 1
    assert results.summary(strict_docs=True)["verdict"] == "non-conformant"


def test_a_skipped_requirement_says_why_unless_it_failed_anyway() -> None:
    results = results_of(("AUTH-MISSING-401", False))
    results.skip("AUTH-WRONG-KEY-401", "the target has authentication disabled")
    results.skip("AUTH-MISSING-401", "irrelevant")
    assert results.status("AUTH-WRONG-KEY-401") == "skipped"
    assert results.status("AUTH-MISSING-401") == "fail"
    row = next(r for r in results.requirement_rows() if r["id"] == "AUTH-WRONG-KEY-401")
    assert row["reason"] == "the target has authentication disabled"


def test_evidence_keeps_the_newest_failures_with_their_requests() -> None:
    rec = recorder()
    for n in range(EVIDENCE_PER_REQUIREMENT + 2):
        rec.begin_case()
        rec.on_exchange(Exchange("GET", f"http://t/api/v0/conversations/u{n}", status=200))
        rec.record("CONV-GET-404", False, f"failure {n}")
    evidence = rec.drain()["CONV-GET-404"]["evidence"]
    assert [e["message"] for e in evidence] == [
        f"failure {n}" for n in range(2, EVIDENCE_PER_REQUIREMENT + 2)
    ]
    assert [len(e["exchanges"]) for e in evidence] == [1] * EVIDENCE_PER_REQUIREMENT
    assert evidence[-1]["curl"] == [f"http://t/api/v0/conversations/u{EVIDENCE_PER_REQUIREMENT + 1}"]


def test_tallies_from_several_workers_add_up() -> None:
    results = RunResults(load_catalogue())
    for _ in range(3):
        rec = recorder()
        rec.record("CONV-LIST-OK", True)
        results.absorb(rec.drain())
    assert results.tallies["CONV-LIST-OK"].checks == 3


def test_an_items_time_is_shared_by_the_requirements_it_checked_and_adds_up_across_items() -> None:
    rec = recorder()
    results = RunResults(load_catalogue())
    rec.record("CONV-GET-404", True)
    rec.record("CONV-MSGS-404", True)
    results.absorb(rec.drain(seconds=2.0))
    rec.record("CONV-GET-404", True)
    results.absorb(rec.drain(seconds=0.5))
    rows = {row["id"]: row for row in results.requirement_rows()}
    assert rows["CONV-GET-404"]["duration_s"] == 1.5
    assert rows["CONV-MSGS-404"]["duration_s"] == 1.0
    assert rows["CONV-LIST-OK"]["duration_s"] == 0.0

"""Verdicts roll up per requirement: defects, documentation gaps, coverage and evidence."""

from __future__ import annotations

import execnet

from conformance.apis.conversations.ids import Conv
from conformance.requirements.catalogue import load_catalogue
from conformance.results.collector import KINDS_PER_REQUIREMENT, CaseRecorder, RunResults, fold_evidence
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


OPERATIONS = {
    "CONV-GET-404": ["GET /conversations/{username}"],
    "API-NO-SERVER-ERROR": ["POST /conversations/{username}", "PUT /conversations/{username}/{id}"],
}


def failing(rec: CaseRecorder, requirement: str, method: str, url: str, status: int, message: str) -> None:
    rec.begin_case()
    rec.on_exchange(Exchange(method, url, status=status))
    rec.record(requirement, False, message, check="probe")


def test_repeats_of_one_kind_fold_into_the_newest_with_a_count() -> None:
    rec = CaseRecorder(
        redact=lambda exchange: exchange.to_dict(), curl=lambda exchange: exchange.url, operations=OPERATIONS
    )
    for n in range(4):
        failing(rec, "CONV-GET-404", "GET", f"http://t/api/v0/conversations/u{n}", 200, f"failure {n}")
    (evidence,) = rec.drain()["CONV-GET-404"]["evidence"]
    assert (evidence["message"], evidence["repeats"]) == ("failure 3", 3)
    assert (evidence["operation"], evidence["check"], evidence["status"]) == (
        "GET /conversations/{username}",
        "probe",
        200,
    )
    assert evidence["curl"] == ["http://t/api/v0/conversations/u3"]


def test_a_distinct_failure_is_never_dropped_by_repeats_of_another() -> None:
    rec = CaseRecorder(
        redact=lambda exchange: exchange.to_dict(), curl=lambda exchange: exchange.url, operations=OPERATIONS
    )
    failing(rec, "API-NO-SERVER-ERROR", "POST", "http://t/api/v0/conversations/%0C", 500, "the POST")
    for n in range(10):
        failing(rec, "API-NO-SERVER-ERROR", "PUT", f"http://t/api/v0/conversations/u{n}/0", 500, f"put {n}")
    results = RunResults(load_catalogue())
    results.absorb(rec.drain())
    failing(
        rec, "API-NO-SERVER-ERROR", "PUT", "http://t/api/v0/conversations/v/0", 500, "another worker's put"
    )
    results.absorb(rec.drain())
    evidence = results.tallies["API-NO-SERVER-ERROR"].evidence
    assert [(e["operation"], e["message"], e["repeats"]) for e in evidence] == [
        ("POST /conversations/{username}", "the POST", 0),
        ("PUT /conversations/{username}/{id}", "another worker's put", 10),
    ]


def test_past_the_cap_of_kinds_the_oldest_fold_and_stay_counted() -> None:
    items = [
        {"check": "c", "operation": f"GET /r{n}", "status": 500} for n in range(KINDS_PER_REQUIREMENT + 2)
    ]
    folded = fold_evidence(items)
    assert len(folded) == KINDS_PER_REQUIREMENT
    assert sum(item.get("repeats", 0) + 1 for item in folded) == len(items)


def test_what_an_item_hands_over_crosses_to_an_xdist_controller() -> None:
    """pytest-xdist sends a report's properties through execnet, which takes plain types only:
    a requirement id recorded as a `Req` (a StrEnum) is handed over as its string."""
    rec = recorder()
    rec.record(Conv.CONV_LIST_OK, True)
    failing(rec, Conv.CONV_GET_404, "GET", "http://t/api/v0/conversations/u", 200, "found")
    drained = rec.drain()
    assert execnet.loads(execnet.dumps(drained)) == drained
    assert all(type(requirement) is str for requirement in drained)


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

"""JUnit XML: CI sees defects as failures, documentation gaps as output, the rest as skipped."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from conformance.reporting.junit import write_junit
from tests.fixtures.results import SECRET, load, requirement


def parse(results: dict[str, Any], tmp_path: Path) -> ET.Element:
    return ET.parse(write_junit(results, tmp_path / "junit.xml")).getroot()


def case(root: ET.Element, rid: str) -> ET.Element:
    return next(c for c in root.iter("testcase") if c.get("name", "").startswith(f"{rid} "))


def test_one_suite_per_api_tag_and_one_case_per_requirement(tmp_path: Path) -> None:
    results = load("non_conformant")
    root = parse(results, tmp_path)
    assert [suite.get("name") for suite in root.iter("testsuite")] == ["slskd.Conversations"]
    assert root.get("tests") == str(len(results["requirements"]))
    get_404 = case(root, "CONV-GET-404")
    assert get_404.get("classname") == "slskd.Conversations.MUST"
    assert get_404.get("name", "").startswith("CONV-GET-404 GET /conversations/{username} answers 404")


def test_defects_are_failures_with_evidence_and_a_curl_line(tmp_path: Path) -> None:
    root = parse(load("non_conformant"), tmp_path)
    assert root.get("failures") == "2"
    failure = case(root, "CONV-LIST-UNACK-FILTER").find("failure")
    assert failure is not None
    assert failure.get("message", "").startswith("GET /conversations?unAcknowledgedOnly=true listed 'alice'")
    assert "GET http://127.0.0.1:5030/api/v0/conversations?unAcknowledgedOnly=true -> 200" in (
        failure.text or ""
    )
    assert "curl -X PUT http://127.0.0.1:5030/api/v0/conversations/alice -H 'X-API-Key: ***'" in (
        failure.text or ""
    )


def test_a_doc_gap_is_reported_in_output_but_is_not_a_failure(tmp_path: Path) -> None:
    gap = case(parse(load("non_conformant"), tmp_path), "DOCGAP-SEND-BLACKLISTED-200")
    assert gap.find("failure") is None
    out = gap.find("system-out")
    assert out is not None and (out.text or "").startswith("DOCUMENTATION GAP DOCGAP-SEND-BLACKLISTED-200:")


def test_with_strict_docs_a_doc_gap_is_a_failure(tmp_path: Path) -> None:
    results = load("non_conformant")
    results["run"]["strict_docs"] = True
    root = parse(results, tmp_path)
    assert case(root, "DOCGAP-SEND-BLACKLISTED-200").find("failure") is not None
    assert root.get("failures") == "3"


def test_not_covered_and_skipped_requirements_are_skipped_with_the_reason(tmp_path: Path) -> None:
    root = parse(load("non_conformant"), tmp_path)
    assert root.get("skipped") == "3"
    window = case(root, "CONV-MSGS-WINDOW").find("skipped")
    assert window is not None and window.get("message", "").startswith("not covered")
    readonly = case(root, "AUTH-READONLY-KEY-WRITES").find("skipped")
    assert readonly is not None and readonly.get("message") == "skipped: no --readonly-api-key given"


def test_a_passing_requirement_is_a_plain_passing_case(tmp_path: Path) -> None:
    passing = case(parse(load("conformant"), tmp_path), "CONV-GET-404")
    assert list(passing) == []


def test_credentials_in_curl_lines_are_masked(tmp_path: Path) -> None:
    results = load("non_conformant")
    evidence = requirement(results, "CONV-GET-404")["evidence"][0]
    evidence["curl"] = [line.replace("X-API-Key: ***", f"X-API-Key: {SECRET}") for line in evidence["curl"]]
    parse(results, tmp_path)
    assert SECRET not in (tmp_path / "junit.xml").read_text(encoding="utf-8")


def test_the_newest_failure_the_minimal_sequence_comes_first(tmp_path: Path) -> None:
    results = load("non_conformant")
    evidence = requirement(results, "CONV-GET-404")["evidence"]
    evidence.insert(0, {**evidence[0], "message": "an earlier, longer sequence"})
    text = case(parse(results, tmp_path), "CONV-GET-404").find("failure").text or ""  # type: ignore[union-attr]
    assert text.index("newest failure") < text.index("earlier failure [") < text.index("an earlier, longer")


def test_cases_and_suites_carry_the_time_spent_on_them(tmp_path: Path) -> None:
    results = load("non_conformant")
    requirement(results, "CONV-GET-404")["duration_s"] = 1.25
    requirement(results, "CONV-LIST-OK")["duration_s"] = 0.5
    root = parse(results, tmp_path)
    assert case(root, "CONV-GET-404").get("time") == "1.250"
    assert next(root.iter("testsuite")).get("time") == "1.750"


def test_the_properties_name_behaviour_faults_version_and_profile(tmp_path: Path) -> None:
    root = parse(load("non_conformant"), tmp_path)
    properties = {p.get("name"): p.get("value") for p in root.iter("property")}
    assert properties["target.behaviour"] == "slskd"
    assert properties["target.fault"] == "get-404-as-200,unack-filter-ignored"
    assert properties["server.version"] == "0.26.0" and properties["profile"] == "full"

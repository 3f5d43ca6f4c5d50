"""Comparing two runs: regressions gate CI (exit 1), bad input is one line (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance.reporting.compare import compare, compare_main, comparison_lines, render_comparison_html
from tests.fixtures.results import FOLDER, load, requirement

CONFORMANT = FOLDER / "conformant.json"
NON_CONFORMANT = FOLDER / "non_conformant.json"


def ids(changes: list) -> list[str]:
    return [change.id for change in changes]


def test_pass_to_fail_is_a_regression_and_the_other_movements_are_sorted_apart() -> None:
    cmp = compare(load("conformant"), load("non_conformant"))
    assert ids(cmp.regressed) == ["CONV-LIST-UNACK-FILTER", "CONV-GET-404"]
    assert ids(cmp.fixed) == []
    assert ids(cmp.new) == ["CONV-ACK-KEEPS-ACTIVE"]
    assert ids(cmp.removed) == ["CONV-SEND-LENGTH-LIMIT"]
    assert ids(cmp.changed) == ["CONV-MSGS-WINDOW", "MSG-WAS-REPLAYED"]
    assert ids(cmp.doc_gaps_opened) == ["DOCGAP-SEND-BLACKLISTED-200"]
    assert (cmp.old_target, cmp.new_target) == (
        "embedded (behaviour documented), slskd 0.25.1, profile full",
        "embedded (behaviour slskd, faults get-404-as-200,unack-filter-ignored), slskd 0.26.0, profile full",
    )
    assert cmp.regressed[1].message.startswith("GET /conversations/nobody-7f3a answered 200")


def test_the_other_way_round_the_defects_are_fixed() -> None:
    cmp = compare(load("non_conformant"), load("conformant"))
    assert ids(cmp.fixed) == ["CONV-LIST-UNACK-FILTER", "CONV-GET-404"]
    assert ids(cmp.regressed) == []
    assert ids(cmp.doc_gaps_closed) == ["DOCGAP-SEND-BLACKLISTED-200"]
    assert ids(cmp.new) == ["CONV-SEND-LENGTH-LIMIT"]
    assert ids(cmp.removed) == ["CONV-ACK-KEEPS-ACTIVE"]


def test_a_run_compared_with_itself_has_no_changes() -> None:
    cmp = compare(load("non_conformant"), load("non_conformant"))
    assert comparison_lines(cmp) == [
        "compare 20261124T120000Z-0 -> 20261124T120000Z-0: non-conformant -> non-conformant",
        "  0 regressions, 0 fixed",
        f"  before: {cmp.old_target}",
        f"  now:    {cmp.new_target}",
    ]


def test_a_new_doc_gap_is_a_regression_only_when_the_new_run_is_strict_about_docs() -> None:
    new = load("non_conformant")
    new["run"]["strict_docs"] = True
    cmp = compare(load("conformant"), new)
    assert "DOCGAP-SEND-BLACKLISTED-200" in ids(cmp.regressed)
    assert cmp.doc_gaps_opened == []


def test_a_requirement_that_was_never_checked_and_now_fails_is_a_change_not_a_regression() -> None:
    old = load("conformant")
    requirement(old, "CONV-GET-404")["status"] = "not-covered"
    cmp = compare(old, load("non_conformant"))
    assert "CONV-GET-404" not in ids(cmp.regressed)
    assert "CONV-GET-404" in ids(cmp.changed)


def test_the_terminal_lines_name_each_section_and_change() -> None:
    lines = comparison_lines(compare(load("conformant"), load("non_conformant")))
    assert lines[1] == "  2 regressions, 0 fixed"
    assert (
        "  now:    embedded (behaviour slskd, faults get-404-as-200,unack-filter-ignored), "
        "slskd 0.26.0, profile full" in lines
    )
    assert lines[lines.index("  regressed (2):") + 2].startswith(
        "    CONV-GET-404 [MUST] pass -> fail: GET /conv"
    )
    assert "    CONV-SEND-LENGTH-LIMIT [SHOULD] pass -> -" in lines


def test_the_html_comparison_is_self_contained_and_lists_the_regressions() -> None:
    old, new = load("conformant"), load("non_conformant")
    page = render_comparison_html(compare(old, new), old, new)
    assert '<h2 class="label" id="verdict-label">2 regressions</h2>' in page
    assert 'id="regressed"' in page and "CONV-GET-404" in page
    assert '0.25.1<span class="arrow"' in page
    assert "<script src" not in page and "<link" not in page


def test_compare_main_exits_1_on_regressions_and_writes_the_html(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert compare_main(CONFORMANT, NON_CONFORMANT, tmp_path / "cmp") == 1
    assert (tmp_path / "cmp" / "compare.html").is_file()
    assert "regressed (2):" in capsys.readouterr().out


def test_compare_main_exits_0_when_nothing_regressed(capsys: pytest.CaptureFixture[str]) -> None:
    assert compare_main(NON_CONFORMANT, CONFORMANT, None) == 0
    assert "  0 regressions, 2 fixed" in capsys.readouterr().out.splitlines()


@pytest.mark.parametrize("content", [None, "[]", json.dumps({"schema_version": "0.9"})])
def test_compare_main_exits_2_with_one_line_for_a_missing_or_invalid_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None
) -> None:
    bad = tmp_path / "results.json"
    if content is not None:
        bad.write_text(content, encoding="utf-8")
    assert compare_main(CONFORMANT, bad, None) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.startswith(f"conformance compare: {bad}")


def test_the_html_comparison_says_what_each_run_ran_against() -> None:
    old, new = load("conformant"), load("non_conformant")
    page = render_comparison_html(compare(old, new), old, new)
    assert "embedded (behaviour documented), slskd 0.25.1, profile full" in page
    assert "faults get-404-as-200,unack-filter-ignored" in page

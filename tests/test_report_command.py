"""`conformance report` and `conformance compare` as a user runs them, through the CLI entry point."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conformance.cli.main import main
from tests.fixtures.results import FOLDER


@pytest.fixture
def results(tmp_path: Path) -> Path:
    path = tmp_path / "run" / "results.json"
    path.parent.mkdir()
    shutil.copy(FOLDER / "non_conformant.json", path)
    return path


def test_report_writes_index_html_beside_the_results(results: Path) -> None:
    assert main(["report", str(results)]) == 0
    assert "Non-conformant" in (results.parent / "index.html").read_text(encoding="utf-8")
    assert not (results.parent / "junit.xml").exists()


def test_report_writes_junit_on_request_and_html_where_asked(results: Path, tmp_path: Path) -> None:
    out = tmp_path / "elsewhere" / "report.html"
    assert main(["report", str(results), "-o", str(out), "--junit"]) == 0
    assert out.is_file()
    assert ET.parse(out.parent / "junit.xml").getroot().get("failures") == "2"


def test_report_of_a_missing_file_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", str(tmp_path / "nope.json")]) == 2
    assert capsys.readouterr().err == f"conformance report: {tmp_path / 'nope.json'}: no such file\n"


def test_report_without_arguments_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report"]) == 2
    assert "usage: conformance report" in capsys.readouterr().err


def test_compare_through_the_cli_exits_1_on_regressions(results: Path, tmp_path: Path) -> None:
    assert main(["compare", str(FOLDER / "conformant.json"), str(results), "-o", str(tmp_path / "cmp")]) == 1
    assert (tmp_path / "cmp" / "compare.html").is_file()
    assert main(["compare", str(results), str(FOLDER / "conformant.json")]) == 0

"""Requirement ids select the tests that check them; listing or selecting nothing writes no report."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.requirements.catalogue import load_catalogue
from conformance.requirements.selection import marker_name, requirements_of
from tests.cli import conformance_run


def collected(tmp_path: Path, *args: str) -> list[str]:
    done = conformance_run(tmp_path, "--co", "-q", *args)
    assert done.returncode in (0, 2), done.stdout + done.stderr
    return [line for line in done.stdout.splitlines() if "::" in line]


@pytest.mark.parametrize("how", [["-k", "CONV-ACK-ONE-404"], ["-m", "CONV_ACK_ONE_404"]], ids=["-k", "-m"])
def test_a_requirement_id_selects_the_tests_that_check_it(tmp_path: Path, how: list[str]) -> None:
    items = collected(tmp_path, *how)
    assert "conformance/suite/test_stateful.py::test_conversation_lifecycle" in items
    assert any("test_scenario[acknowledging-an-unknown-message-id-answers-404]" in item for item in items)
    assert not any("test_auth" in item or "test_read_operation" in item for item in items)


def test_listing_the_suite_writes_no_report_and_leaves_latest_alone(tmp_path: Path) -> None:
    (tmp_path / "latest").mkdir()
    (tmp_path / "latest" / "results.json").write_text("{}", encoding="utf-8")
    assert collected(tmp_path)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["latest"]
    assert (tmp_path / "latest" / "results.json").read_text(encoding="utf-8") == "{}"


def test_a_selection_of_nothing_writes_no_report(tmp_path: Path) -> None:
    assert collected(tmp_path, "-k", "NO-SUCH-REQUIREMENT") == []
    assert list(tmp_path.iterdir()) == []


def test_generated_tests_answer_for_the_kinds_of_checks_they_run() -> None:
    catalogue = load_catalogue()
    operation = requirements_of(
        "test_operation", "test_operations", "PUT /conversations/{username}", None, catalogue
    )
    assert "API-NO-SERVER-ERROR" in operation and "API-NO-NULLS" in operation
    assert "CONV-ACK-ONE-404" not in operation
    assert marker_name("CONV-ACK-ONE-404") == "CONV_ACK_ONE_404"

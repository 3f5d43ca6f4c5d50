"""results.json has one contract, and documents that break it are refused in one readable line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance.errors import ConfigError
from conformance.reporting.schema import (
    SCHEMA_PATH,
    ResultsFormatError,
    load_results,
    problems,
    validate_results,
)
from tests.fixtures.results import FOLDER, load, requirement


@pytest.mark.parametrize("name", ["conformant", "non_conformant"])
def test_the_sample_runs_are_valid_results_documents(name: str) -> None:
    validate_results(load(name))


def test_a_missing_field_is_named_with_its_path() -> None:
    results = load("non_conformant")
    del results["run"]["seed"]
    with pytest.raises(ResultsFormatError, match=r"run: 'seed' is a required property"):
        validate_results(results)


def test_wrong_values_are_reported_where_they_are_first_in_document_order() -> None:
    results = load("non_conformant")
    results["requirements"][2]["status"] = "passed"
    results["requirements"][10]["level"] = "MAY"
    found = problems(results)
    assert found[0].startswith("requirements[2].status: 'passed' is not one of")
    assert found[1].startswith("requirements[10].level: 'MAY' is not one of")


def test_the_message_lists_the_first_problems_and_counts_the_rest() -> None:
    results = load("conformant")
    for row in results["requirements"][:8]:
        row["checks"] = -1
    with pytest.raises(ResultsFormatError) as caught:
        validate_results(results)
    message = str(caught.value)
    assert "\n" not in message
    assert message.count("is less than the minimum of 0") == 5
    assert message.endswith("(and 3 more)")


def test_an_unknown_schema_version_is_refused_before_anything_else() -> None:
    results = load("conformant")
    results["schema_version"] = "2.0"
    del results["run"]
    assert problems(results) == ["schema_version '2.0' is not supported (this tool reads '1.0')"]


def test_a_requirement_listed_twice_is_refused() -> None:
    results = load("conformant")
    results["requirements"].append(requirement(results, "CONV-GET-404"))
    with pytest.raises(ResultsFormatError, match=r"'CONV-GET-404' appears twice"):
        validate_results(results)


def test_the_format_error_is_a_config_error_so_the_cli_shows_one_line_and_exits_2() -> None:
    assert issubclass(ResultsFormatError, ConfigError)


def test_load_results_reads_a_valid_file() -> None:
    assert load_results(FOLDER / "conformant.json")["summary"]["verdict"] == "conformant"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "no such file"),
        ("{not json", "not JSON"),
        (json.dumps({"schema_version": "1.0"}), "'tool' is a required property"),
    ],
)
def test_load_results_names_the_file_and_the_problem(
    tmp_path: Path, content: str | None, expected: str
) -> None:
    path = tmp_path / "results.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ResultsFormatError) as caught:
        load_results(path)
    assert str(caught.value).startswith(str(path))
    assert expected in str(caught.value)


def test_every_field_of_the_schema_is_documented() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    undocumented = []

    def visit(node: object, where: str) -> None:
        if isinstance(node, dict):
            for name, sub in node.get("properties", {}).items():
                if isinstance(sub, dict) and "description" not in sub and "$ref" not in sub:
                    undocumented.append(f"{where}.{name}")
            for key, sub in node.items():
                visit(sub, f"{where}.{key}")
        elif isinstance(node, list):
            for index, sub in enumerate(node):
                visit(sub, f"{where}[{index}]")

    visit(schema, "$")
    assert undocumented == []

"""No artifact of a run may hold a secret: the guard, and the reports it guards."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import pytest

from conformance.reporting.html import write_html
from conformance.reporting.junit import write_junit
from tests.fixtures.results import SECRET, load, requirement
from tests.leaks import assert_no_secret, find_secret


def write_reports(results: dict, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.json").write_text(json.dumps(results), encoding="utf-8")
    write_html(results, folder / "index.html")
    write_junit(results, folder / "junit.xml")
    return folder


def test_the_reports_of_a_run_hold_no_secret(tmp_path: Path) -> None:
    assert_no_secret(write_reports(load("non_conformant"), tmp_path / "run"), SECRET)


def test_html_and_junit_mask_credential_headers_the_producer_forgot(tmp_path: Path) -> None:
    results = load("non_conformant")
    evidence = requirement(results, "CONV-LIST-UNACK-FILTER")["evidence"][0]
    for exchange in evidence["exchanges"]:
        exchange["request"]["headers"]["X-API-Key"] = SECRET
    evidence["curl"] = [line.replace("X-API-Key: ***", f"X-API-Key: {SECRET}") for line in evidence["curl"]]
    folder = write_reports(results, tmp_path / "run")
    (folder / "results.json").unlink()  # the views alone: results.json is the producer's business
    assert_no_secret(folder, SECRET)


def test_a_planted_secret_is_found_and_its_file_named(tmp_path: Path) -> None:
    folder = write_reports(load("conformant"), tmp_path / "run")
    (folder / "nested").mkdir()
    (folder / "nested" / "log.txt").write_text(f"GET /x?key={quote(SECRET, safe='')}", encoding="utf-8")
    with pytest.raises(AssertionError, match=r"nested/log\.txt"):
        assert_no_secret(folder, SECRET)
    assert len(find_secret(folder, SECRET)) == 1


def test_an_empty_folder_proves_nothing_and_fails(tmp_path: Path) -> None:
    with pytest.raises(AssertionError, match="holds no files"):
        assert_no_secret(tmp_path, SECRET)


def test_an_empty_secret_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        find_secret(tmp_path, "")


@pytest.mark.parametrize(
    ("content", "secret", "leaks"),
    [
        ("is this the slskd URL?", "sk", []),  # inside a word: no leak, and the redaction leaves it
        ("GET /x?q=apiKey%3Dsk%26", "sk", ["'sk'"]),
        ("tokenABCDEFGHIJKLMNOPxyz", "ABCDEFGHIJKLMNOP", ["'ABCDEFGHIJKLMNOP'"]),  # long: anywhere
    ],
)
def test_a_leak_is_what_the_redaction_masks(
    tmp_path: Path, content: str, secret: str, leaks: list[str]
) -> None:
    (tmp_path / "log.txt").write_text(content, encoding="utf-8")
    assert find_secret(tmp_path, secret) == [f"{tmp_path / 'log.txt'}: {leak}" for leak in leaks]

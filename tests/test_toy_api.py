"""Adding an API touches only its own folder: a toy API goes through the whole pipeline.

The toy (tests/fixtures/toy_api: one operation, one requirement, one rule) is installed the
way any other package adds an API, through the `slskd_conformance.apis` entry point; the
engine finds it, the reference server serves it, the suite runs its probe, and its
requirement is a row of results.json and of the HTML report. Nothing outside its folder
names it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

TOY = Path(__file__).parent / "fixtures" / "toy_api"
PACKAGE = Path(__file__).resolve().parents[1] / "conformance"
TOY_NAMES = ("toy_api", "TOY-LIST-OK", "/toys")


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One embedded run, the toy installed, selecting the toy's requirement (`-k TOY`)."""
    reports = tmp_path_factory.mktemp("reports")
    path = os.pathsep.join(p for p in (str(TOY), os.environ.get("PYTHONPATH")) if p)
    command = [sys.executable, "-m", "conformance.cli", "run", "--seed", "0", "--reports-dir", str(reports)]
    done = subprocess.run(
        [*command, "-k", "TOY"], env={**os.environ, "PYTHONPATH": path}, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return next(reports.glob("*/results.json")).parent


def toy_row(document: dict[str, Any]) -> dict[str, Any]:
    return next(row for row in document["requirements"] if row["id"] == "TOY-LIST-OK")


def test_the_toy_requirement_is_a_passing_row_of_results_json(toy_run: Path) -> None:
    document = json.loads((toy_run / "results.json").read_text(encoding="utf-8"))
    row = toy_row(document)
    assert (row["status"], row["level"], row["tag"]) == ("pass", "MUST", "Toys")
    assert row["operations"] == ["GET /toys"]
    assert row["checks"] == 1, "the toy's one rule judged it once"
    assert document["summary"]["verdict"] == "conformant"


def test_the_toy_requirement_is_a_row_of_the_html_report(toy_run: Path) -> None:
    html = (toy_run / "index.html").read_text(encoding="utf-8")
    assert "TOY-LIST-OK" in html and "GET /toys answers 200 with a JSON array." in html


def test_nothing_outside_the_toys_folder_names_it() -> None:
    naming = [
        str(path.relative_to(PACKAGE.parent))
        for path in sorted(PACKAGE.rglob("*"))
        if path.suffix in (".py", ".yaml", ".json", ".j2")
        and any(name in path.read_text(encoding="utf-8") for name in TOY_NAMES)
    ]
    assert naming == []


def test_without_the_toy_installed_the_registry_does_not_know_it() -> None:
    from conformance.apis import installed

    assert "Toys" not in {api.name for api in installed()}

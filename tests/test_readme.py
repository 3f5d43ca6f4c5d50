"""README.md is a tool's README: its first screen says what the tool is, how to run it, what a
run prints, where the report is and how to point it at your slskd; every link it and the docs
hold leads somewhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conformance.data.resources import DOCS_ORIGIN

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
FIRST_SCREEN = "\n".join(README.read_text(encoding="utf-8").splitlines()[:60])
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
HEX = re.compile(r"\b(?=[0-9a-f]*[a-f])(?=[0-9a-f]*[0-9])[0-9a-f]{7,40}\b")


@pytest.mark.parametrize(
    "shown",
    [
        ".venv/bin/conformance run",  # the first command: the suite against the embedded server
        ".venv/bin/python -m pytest tests",  # the second: the checker's own tests
        "verdict: CONFORMANT",  # what a run prints
        "reports/latest/index.html",  # where the report is
        "](docs/report.png)",  # and what it looks like
        "conformance run --target-url",  # how to point it at your slskd
        "SLSKD_API_KEY",
    ],
)
def test_the_first_screen_shows(shown: str) -> None:
    assert shown in FIRST_SCREEN


def test_the_screenshot_is_a_small_png() -> None:
    screenshot = ROOT / "docs" / "report.png"
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert screenshot.stat().st_size < 300_000


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_relative_link_leads_to_a_file(page: Path) -> None:
    targets = {target for target in LINK.findall(page.read_text(encoding="utf-8")) if "://" not in target}
    assert [target for target in sorted(targets) if not (page.parent / target).exists()] == []


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_the_prose_names_no_commit_but_the_docs_the_specs_come_from(page: Path) -> None:
    """A commit hash tells a reader nothing and goes stale; the pinned upstream docs are a source."""
    hashes = set(HEX.findall(page.read_text(encoding="utf-8")))
    assert {found for found in hashes if not DOCS_ORIGIN.commit.startswith(found)} == set()

"""The HTML report in a real browser (headless Chromium): the script runs offline, deep links
open a failure, filters hide rows. Screenshots land in reports/screenshots/ for a human to judge.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conformance.reporting.html import write_html
from tests.fixtures.results import load

CHROMIUM = next((found for name in ("chromium", "chromium-browser") if (found := shutil.which(name))), None)
SCREENSHOTS = Path(__file__).resolve().parents[1] / "reports" / "screenshots"
TIMEOUT_S = 20

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary (apt-get install chromium)")


def chromium(profile: Path, *args: str) -> str:
    """Run headless Chromium with no network side-channels; return what it printed on stdout."""
    assert CHROMIUM is not None
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        *args,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_html(load("non_conformant"), tmp_path_factory.mktemp("report") / "index.html")


def dom(report: Path, fragment: str, profile: Path) -> str:
    """The DOM after the report's script ran, opened with `#fragment`."""
    return chromium(profile, "--dump-dom", f"{report.as_uri()}#{fragment}")


def visible_rows(page: str) -> list[str]:
    return re.findall(r'<tr class="req [^"]*" id="row-([A-Z0-9-]+)"(?![^>]*\bhidden)', page)


def test_expand_opens_exactly_that_failure_and_the_script_ran(report: Path, tmp_path: Path) -> None:
    page = dom(report, "expand=CONV-GET-404", tmp_path)
    assert re.search(r'<details class="failure" id="req-CONV-GET-404" open="">', page)
    assert len(re.findall(r'<details class="failure[^"]*" id="req-[^"]+" open', page)) == 1
    assert "Non-conformant" in page and "2 defects" in page and "1 documentation gap" in page
    assert "GET /conversations/nobody-7f3a answered 200" in page
    assert '<button type="button" class="copy">Copy</button>' in page  # un-hidden by the script
    assert "59 of 59 shown" in page


def test_filters_from_the_fragment_hide_the_other_rows(report: Path, tmp_path: Path) -> None:
    page = dom(report, "status=fail&level=MUST", tmp_path)
    assert visible_rows(page) == ["CONV-GET-404"]
    assert "1 of 59 shown" in page


def test_a_search_that_matches_nothing_says_so(report: Path, tmp_path: Path) -> None:
    page = dom(report, "q=no-such-requirement", tmp_path)
    assert visible_rows(page) == []
    assert re.search(r'<p class="empty-filter" id="empty-filter">', page)  # no longer hidden


@pytest.mark.parametrize(
    ("name", "results", "fragment", "size"),
    [
        ("report-1280", "non_conformant", "", "1280,2000"),
        ("report-800", "non_conformant", "", "800,2000"),
        # a window taller than the filtered page: headless screenshots do not follow scrolling
        (
            "failure-expanded-1280",
            "non_conformant",
            "#status=fail&expand=CONV-LIST-UNACK-FILTER",
            "1280,4200",
        ),
        ("conformant-1280", "conformant", "", "1280,1400"),
    ],
)
def test_screenshots(tmp_path: Path, name: str, results: str, fragment: str, size: str) -> None:
    page = write_html(load(results), tmp_path / "index.html")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / f"{name}.png"
    target.unlink(missing_ok=True)
    chromium(
        tmp_path / "profile", f"--screenshot={target}", f"--window-size={size}", page.as_uri() + fragment
    )
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert target.stat().st_size > 20_000  # a blank page compresses to a few kB

"""docs/performance.md's tables are what `conformance bench` renders from its stored figures:
measured once, rendered the same way every time, never edited by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.docs import FIGURES, PAGE, TABLES, refreshed, tables, write_docs
from bench.report import document
from bench.runs import Sample, Startup

RUNS = {
    "a0": Sample(wall=3.0, cases=260, requests=950, rss_mb=107.0),
    "a": Sample(wall=3.0, cases=240, requests=800, rss_mb=104.0, first_request=0.5),
    "b": Sample(wall=4.0, cases=410, requests=410, rss_mb=277.0, first_request=0.5),
    "c": Sample(wall=0.8, cases=800, requests=800, rss_mb=29.0, first_request=0.1),
}
SETTINGS = {"max_examples": 25, "seed": 0, "repeat": 3}
PROSE = "# Performance\n\nHand-written prose stays.\n\n"


def figures() -> dict:
    measured = document(
        RUNS,
        machine="2 cores",
        settings={"max_examples": 25, "seed": 0, "repeat": 3},
        startup=Startup(0.02, 0.05),
    )
    return {**measured, "load_average": {"start": 0.9, "end": 1.2}}


def page_with_every_table(before: str = "old table") -> str:
    return PROSE + "".join(f"<!-- bench:{name} -->\n{before}\n<!-- /bench:{name} -->\n\n" for name in TABLES)


def test_the_performance_page_shows_what_bench_renders_from_its_stored_figures() -> None:
    page = PAGE.read_text(encoding="utf-8")
    stored = json.loads(FIGURES.read_text(encoding="utf-8"))
    assert refreshed(page, tables(stored)) == page, (
        "run `conformance bench --write-docs` (never edit by hand)"
    )


def test_writing_the_docs_stores_the_figures_and_replaces_only_the_marked_tables(tmp_path: Path) -> None:
    page, stored = tmp_path / "performance.md", tmp_path / "performance.json"
    page.write_text(page_with_every_table(), encoding="utf-8")
    write_docs(figures(), page, stored)
    text = page.read_text(encoding="utf-8")
    assert text.startswith(PROSE) and "old table" not in text
    assert "| wall s | 3.00 | 3.00 | 4.00 | 0.80 |" in text
    assert "| per request vs raw | 3.16× | 3.75× | 9.76× | 1.00× |" in text
    assert "| (a0) wall | 3 s | ≤ 4 s | met |" in text
    assert "- load average: 0.9 at the start, 1.2 at the end" in text
    assert "Not measured (`conformance bench --scale`)." in text
    assert json.loads(stored.read_text(encoding="utf-8")) == figures()
    write_docs(figures(), page, stored)
    assert page.read_text(encoding="utf-8") == text, "rendering twice changes nothing"


def test_the_scale_table_gives_each_row_its_slope_from_the_row_above() -> None:
    scaled = {10: Sample(2.0, 200, 500, 100.0), 25: Sample(3.0, 250, 1000, 100.0)}
    measured = document(
        RUNS, machine="2 cores", settings={"max_examples": 25, "seed": 0, "repeat": 1}, scaled=scaled
    )
    scale = tables(measured)["scale"].splitlines()
    assert scale[2:] == ["| 10 | 2.00 | 200 | 500 |  |", "| 25 | 3.00 | 250 | 1000 | 2.00 |"]


def test_a_page_that_lost_a_tables_markers_is_refused() -> None:
    page = page_with_every_table().replace("<!-- /bench:goals -->", "")
    with pytest.raises(ValueError, match="bench:goals"):
        refreshed(page, tables(figures()))


def test_each_api_part_is_rendered_with_its_goal(tmp_path: Path) -> None:
    searches = Sample(wall=12.0, cases=9, requests=300, rss_mb=110.0)
    transfers = Sample(wall=4.5, cases=8, requests=250, rss_mb=100.0)
    parts = {"Searches": searches, "Transfers": transfers}
    measured = document(RUNS, machine="2 cores", settings=SETTINGS, parts=parts)
    page, stored = tmp_path / "performance.md", tmp_path / "performance.json"
    page.write_text(page_with_every_table(), encoding="utf-8")
    write_docs({**measured, "load_average": {"start": 0.9, "end": 1.2}}, page, stored)
    text = page.read_text(encoding="utf-8")
    assert "| Searches part | 12.00 | 9 | 300 | 110.0 |" in text
    assert "| Searches part wall | 12 s | ≤ 20 s | met |" in text
    assert "| Transfers part | 4.50 | 8 | 250 | 100.0 |" in text
    assert "| Transfers part wall | 4.50 s | ≤ 30 s | met |" in text
    assert "| (a0) wall vs before Searches | 0.91× | ≤ 1.5× | met |" in text

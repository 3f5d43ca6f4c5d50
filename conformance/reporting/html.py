"""The HTML report: one self-contained file (inline CSS, JS and SVG) rendered from results.json.

A report is attached to CI runs and mailed around, then opened from disk, often offline;
so nothing in it may load from the network, and it must stay readable without JavaScript
(filters and deep links are a convenience on top of plain tables and <details>).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from conformance.reporting import view
from conformance.reporting.text import shorten

BAR_WIDTH = 400.0  # SVG user units; the SVG scales to its box, so this only sets proportions
LABEL_MIN_WIDTH = 18.0  # narrower segments keep their count in the tooltip and the legend only


def pretty_body(body: str | None) -> str:
    """JSON bodies indented for reading; anything else (or a truncated body) as it came."""
    if not body:
        return ""
    try:
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except ValueError:
        return body


def status_class(status: int | None) -> str:
    return f"http-{status // 100}xx" if status else "http-none"


@dataclass(frozen=True)
class Segment:
    css: str  # pass, fail, gap, not-covered, skipped
    label: str
    count: int
    x: float
    width: float


@dataclass(frozen=True)
class Bar:
    level: str
    total: int
    segments: list[Segment]


SEGMENT_LABELS = {"pass": "pass", "fail": "fail", "not-covered": "not covered", "skipped": "skipped"}


def chart_bars(results: dict[str, Any]) -> list[Bar]:
    """A stacked bar per level: how its requirements split into pass / fail / not covered / skipped."""
    bars = []
    for level in view.LEVELS:
        counts = results["summary"]["by_level"][level]
        total = sum(counts[status] for status in view.STATUSES)
        segments, x = [], 0.0
        for status in view.STATUSES:
            if counts[status]:
                width = BAR_WIDTH * counts[status] / total
                css = view.shown_status(level, status)
                label = "documentation gap" if css == "gap" else SEGMENT_LABELS[status]
                segments.append(Segment(css, label, counts[status], x, width))
                x += width
        bars.append(Bar(level, total, segments))
    return bars


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("conformance.reporting", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        shorten=shorten,
        plural=view.plural,
        masked_curl=view.masked_curl,
        masked_headers=view.masked_headers,
        pretty_body=pretty_body,
        status_class=status_class,
    )
    env.globals.update(view=view, LEVELS=view.LEVELS, BAR_WIDTH=BAR_WIDTH, LABEL_MIN_WIDTH=LABEL_MIN_WIDTH)
    return env


ENVIRONMENT = _environment()


def render_html(results: dict[str, Any]) -> str:
    """The report for one run; `results` must be a valid results document."""
    return ENVIRONMENT.get_template("report.html.j2").render(
        results=results,
        run=results["run"],
        summary=results["summary"],
        defects=view.defects(results),
        doc_gaps=view.doc_gaps(results),
        not_covered=view.with_status(results, "not-covered"),
        skipped=view.with_status(results, "skipped"),
        groups=view.by_tag(results),
        operations=view.operations(results),
        operation_rows=view.operation_rows(results),
        bars=chart_bars(results),
        headline=view.verdict_headline(results),
        coverage=view.coverage_line(results),
    )


def write_html(results: dict[str, Any], path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(results), encoding="utf-8")
    return path

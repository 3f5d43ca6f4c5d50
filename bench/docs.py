"""docs/performance.md's measured tables, rendered from the benchmark's JSON.

The JSON `conformance bench` writes is the measurement; the page's tables are a view of it,
kept between marker comments (`<!-- bench:runs -->` … `<!-- /bench:runs -->`) so that the prose
around them stays hand-written. `conformance bench --write-docs` stores the figures beside the
page (`docs/performance.json`) and re-renders every table from them; a test renders the stored
figures again and compares, so a table edited by hand or left behind by a new measurement fails.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from bench.report import TITLES

DOCS = Path(__file__).resolve().parents[1] / "docs"
PAGE = DOCS / "performance.md"
FIGURES = DOCS / "performance.json"

ROWS = (  # (label, one run's figures → its cell)
    ("wall s", lambda run, raw: f"{run['wall_s']:.2f}"),
    ("requests", lambda run, raw: str(run["requests"])),
    ("cases", lambda run, raw: str(run["cases"])),
    ("ms per request", lambda run, raw: f"{1000 * per_request(run):.2f}"),
    ("per request vs raw", lambda run, raw: f"{per_request(run) / raw:.2f}×"),
    ("peak MB", lambda run, raw: f"{run['peak_mb']:.1f}"),
    (
        "first request s",
        lambda run, raw: f"{run['first_request_s']:.2f}" if "first_request_s" in run else "—",
    ),
)


def per_request(run: dict[str, Any]) -> float:
    return run["wall_s"] / run["requests"]


def number(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.2f}"


def settings_table(figures: dict[str, Any]) -> list[str]:
    """Where and how the figures were measured: a busy machine slows every run alike."""
    settings, load = figures["settings"], figures.get("load_average")
    lines = [
        f"- machine: {figures['machine']}",
        f"- settings: max-examples {settings['max_examples']}, seed {settings['seed']}, "
        f"medians of {settings['repeat']} rounds",
    ]
    if load:
        lines.append(f"- load average: {load['start']:.1f} at the start, {load['end']:.1f} at the end")
    return lines


def runs_table(figures: dict[str, Any]) -> list[str]:
    """The four runs side by side, then the ratios and the start-up."""
    runs = figures["runs"]
    raw = per_request(runs["c"])
    lines = [
        "| | " + " | ".join(TITLES[name] for name in runs) + " |",
        "|---|" + "---:|" * len(runs),
    ]
    lines += [
        f"| {label} | " + " | ".join(cell(run, raw) for run in runs.values()) + " |" for label, cell in ROWS
    ]
    if "mutation" in figures:
        scores = figures["mutation"]
        found = (f"{scores[n]['killed']}/{scores[n]['total']}" if n in scores else "—" for n in runs)
        lines.append("| mutants found | " + " | ".join(found) + " |")
    ratios = figures["ratios"]
    summary = (
        f"(a0)/(b) wall: {ratios['a0_over_b_wall']:.2f} · "
        f"(a)/(c) per request: {ratios['per_request_over_raw']:.2f}"
    )
    if "per_request_running_over_raw" in ratios:
        summary += f" (after each one's first request: {ratios['per_request_running_over_raw']:.2f})"
    if "startup" in figures:
        startup = figures["startup"]
        summary += (
            f" · `conformance --help` {startup['help_s']:.2f} s, `--version` {startup['version_s']:.2f} s"
        )
    return [*lines, "", summary]


def goals_table(figures: dict[str, Any]) -> list[str]:
    lines = ["| goal | figure | bound | verdict |", "|---|---:|---:|---|"]
    for name, goal in figures["goals"].items():
        unit = goal.get("unit", "")
        verdict = "met" if goal["met"] else "**not met**"
        lines.append(f"| {name} | {number(goal['value'])}{unit} | ≤ {goal['bound']:g}{unit} | {verdict} |")
    return lines


def scale_table(figures: dict[str, Any]) -> list[str]:
    """(a0) at each number of examples; the slope from the row above is what one more request
    costs once the fixed costs are paid."""
    if "scale" not in figures:
        return ["Not measured (`conformance bench --scale`)."]
    slopes = {span.split("-")[1]: ms for span, ms in figures.get("scale_marginal_ms_per_request", {}).items()}
    lines = ["| examples | wall s | cases | requests | ms per added request |", "|---:|---:|---:|---:|---:|"]
    for examples, run in sorted(figures["scale"].items(), key=lambda item: int(item[0])):
        slope = f"{slopes[examples]:.2f}" if examples in slopes else ""
        lines.append(f"| {examples} | {run['wall_s']:.2f} | {run['cases']} | {run['requests']} | {slope} |")
    return lines


def parts_table(figures: dict[str, Any]) -> list[str]:
    """Each peer-facing API's items of the default run alone: what its checks cost."""
    parts = figures.get("parts") or ({"Searches": figures["searches"]} if "searches" in figures else {})
    if not parts:
        return ["Not measured (a `conformance bench` older than the APIs' parts)."]
    return [
        "| | wall s | cases | requests | peak MB |",
        "|---|---:|---:|---:|---:|",
        *(
            f"| {name} part | {run['wall_s']:.2f} | {run['cases']} | {run['requests']} "
            f"| {run['peak_mb']:.1f} |"
            for name, run in parts.items()
        ),
    ]


TABLES = {
    "settings": settings_table,
    "runs": runs_table,
    "goals": goals_table,
    "parts": parts_table,
    "scale": scale_table,
}


def tables(figures: dict[str, Any]) -> dict[str, str]:
    """Each marked table of the page, as Markdown, from one benchmark's JSON."""
    return {name: "\n".join(render(figures)) for name, render in TABLES.items()}


def refreshed(page: str, rendered: dict[str, str]) -> str:
    """`page` with what lies between each table's markers replaced; a missing marker is an
    error, so a renamed heading cannot silently stop a table from being kept current."""
    for name, text in rendered.items():
        pattern = re.compile(rf"(<!-- bench:{name} -->\n).*?(<!-- /bench:{name} -->)", re.S)
        page, found = pattern.subn(lambda match, text=text: f"{match[1]}\n{text}\n\n{match[2]}", page)
        if found != 1:
            raise ValueError(f"the page has no single <!-- bench:{name} --> … <!-- /bench:{name} --> block")
    return page


def write_docs(figures: dict[str, Any], page: Path = PAGE, stored: Path = FIGURES) -> None:
    """Store the figures beside the page and re-render its tables from them."""
    stored.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    page.write_text(refreshed(page.read_text(encoding="utf-8"), tables(figures)), encoding="utf-8")

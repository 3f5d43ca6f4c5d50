"""The benchmark's figures as a side-by-side table, the goals they meet, and JSON for CI."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from bench.runs import PARTS, Sample, Startup
from bench.scores import Score

TITLES = {
    "a0": "(a0) conformance run",
    "a": "(a) same, shared server",
    "b": "(b) plain schemathesis",
    "c": "(c) raw requests loop",
}


@dataclass(frozen=True)
class Goal:
    """One of the speed goals (issue 15): a figure, the bound it must stay within."""

    name: str
    value: float
    bound: float
    unit: str = ""

    @property
    def met(self) -> bool:
        return self.value <= self.bound

    def __str__(self) -> str:
        verdict = "met" if self.met else "NOT met"
        value = f"{self.value:.0f}" if float(self.value).is_integer() else f"{self.value:.2f}"
        return f"{self.name}: {value}{self.unit} (goal ≤ {self.bound:g}{self.unit}) — {verdict}"


# (a0)'s median wall before Searches were checked (docs/performance.md, 854 requests at seed 0):
# the default run with them may take at most 1.5 times as long (issue 23).
BEFORE_SEARCHES_A0_WALL_S = 3.31


def ratios(runs: dict[str, Sample]) -> dict[str, float]:
    """(a0) against plain Schemathesis in wall time, and (a)'s cost per request against the
    raw loop's on the same server (both sides pay the same HTTP)."""
    found = {
        "a0_over_b_wall": runs["a0"].wall / runs["b"].wall,
        "per_request_over_raw": runs["a"].per_request / runs["c"].per_request,
    }
    running, raw = runs["a"].per_request_running, runs["c"].per_request_running
    if running is not None and raw:  # both after their first request: start-up excluded on both sides
        found["per_request_running_over_raw"] = running / raw
    return found


def goals(
    runs: dict[str, Sample],
    scores: dict[str, Score] | None,
    startup: Startup | None = None,
    parts: dict[str, Sample] | None = None,
) -> list[Goal]:
    found = [
        Goal("(a0) wall", runs["a0"].wall, 4.0, " s"),
        Goal("(a0) requests", runs["a0"].requests, 1000),
        Goal("(a) per request vs raw", ratios(runs)["per_request_over_raw"], 1.5, "×"),
        Goal("(a0) peak memory", runs["a0"].rss_mb, 300, " MB"),
    ]
    running = ratios(runs).get("per_request_running_over_raw")
    if running is not None:
        found.append(Goal("(a) per request vs raw, once running", running, 1.5, "×"))
    if scores:
        found.append(Goal("(a0) mutants survived", scores["a0"].total - scores["a0"].killed, 0))
    if runs["a"].first_request is not None:
        found.append(Goal("(a) first request", runs["a"].first_request, 1.0, " s"))
    if startup:
        found += [Goal("--help", startup.help, 0.3, " s"), Goal("--version", startup.version, 0.3, " s")]
    for name, part in (parts or {}).items():
        found.append(Goal(f"{name} part wall", part.wall, PARTS[name][1], " s"))
    if parts:
        found.append(
            Goal("(a0) wall vs before Searches", runs["a0"].wall / BEFORE_SEARCHES_A0_WALL_S, 1.5, "×")
        )
    return found


def table(
    runs: dict[str, Sample],
    scores: dict[str, Score] | None = None,
    startup: Startup | None = None,
    parts: dict[str, Sample] | None = None,
) -> list[str]:
    """One column per run, one row per figure, then the ratios, the start-up and the goals."""
    raw = runs["c"].per_request
    rows: list[tuple[str, dict[str, str]]] = [
        ("wall s", {n: f"{s.wall:.2f}" for n, s in runs.items()}),
        ("requests", {n: str(s.requests) for n, s in runs.items()}),
        ("cases", {n: str(s.cases) for n, s in runs.items()}),
        ("ms per request", {n: f"{1000 * s.per_request:.2f}" for n, s in runs.items()}),
        ("per request vs raw", {n: f"{s.per_request / raw:.2f}×" for n, s in runs.items()}),
        ("peak MB", {n: f"{s.rss_mb:.1f}" for n, s in runs.items()}),
        (
            "first request s",
            {n: "—" if s.first_request is None else f"{s.first_request:.2f}" for n, s in runs.items()},
        ),
    ]
    if scores:
        rows.append(("mutants found", {n: str(scores[n]) if n in scores else "—" for n in runs}))
    width = max(len(TITLES[n]) for n in runs)
    lines = [f"{'':<20}" + "".join(f"{TITLES[n]:>{width + 2}}" for n in runs)]
    lines += [f"{label:<20}" + "".join(f"{cells[n]:>{width + 2}}" for n in runs) for label, cells in rows]
    r = ratios(runs)
    lines += [
        "",
        f"(a0)/(b) wall: {r['a0_over_b_wall']:.2f}   (a)/(c) per request: {r['per_request_over_raw']:.2f}"
        + (
            f" (after each one's first request: {r['per_request_running_over_raw']:.2f})"
            if "per_request_running_over_raw" in r
            else ""
        ),
    ]
    if startup:
        lines.append(f"conformance --help: {startup.help:.2f} s   --version: {startup.version:.2f} s")
    for name, part in (parts or {}).items():
        lines.append(f"{name} part alone: {part.wall:.2f} s, {part.cases} cases, {part.requests} requests")
    lines += map(str, goals(runs, scores, startup, parts))
    return lines


def marginal(scaled: dict[int, Sample]) -> dict[str, float]:
    """Wall seconds per added request between consecutive example counts of the scale: what a
    request costs once the fixed costs (start-up, collection, reports) are paid; it stays flat
    when the run scales linearly."""
    spans = [(scaled[low], scaled[high], f"{low}-{high}") for low, high in pairwise(sorted(scaled))]
    return {
        span: (high.wall - low.wall) / (high.requests - low.requests)
        for low, high, span in spans
        if high.requests != low.requests
    }


def document(
    runs: dict[str, Sample],
    *,
    machine: str,
    settings: dict[str, int],
    scores: dict[str, Score] | None = None,
    scaled: dict[int, Sample] | None = None,
    startup: Startup | None = None,
    parts: dict[str, Sample] | None = None,
) -> dict[str, Any]:
    """The JSON a CI job tracks: every run's medians, the ratios, the goals, and (when
    measured) the mutation scores and the scale of (a0)."""
    result: dict[str, Any] = {
        "machine": machine,
        "settings": settings,
        "runs": {name: sample.as_json() for name, sample in runs.items()},
        "ratios": {name: round(value, 3) for name, value in ratios(runs).items()},
        "goals": {
            goal.name: {
                "value": round(goal.value, 3),
                "bound": goal.bound,
                "unit": goal.unit,
                "met": goal.met,
            }
            for goal in goals(runs, scores, startup, parts)
        },
    }
    if parts:
        result["parts"] = {name: part.as_json() for name, part in parts.items()}
    if startup:
        result["startup"] = startup.as_json()
    if scores:
        result["mutation"] = {name: score.as_json() for name, score in scores.items()}
    if scaled:
        result["scale"] = {str(n): sample.as_json() for n, sample in scaled.items()}
        result["scale_marginal_ms_per_request"] = {
            span: round(1000 * seconds, 3) for span, seconds in marginal(scaled).items()
        }
    return result

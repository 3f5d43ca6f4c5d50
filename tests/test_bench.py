"""The benchmark's figures: the table and the JSON a CI job tracks are assembled right, and
the machinery works end to end (no assertion on durations: the machine is not ours)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.command import main
from bench.report import document, goals, marginal, table
from bench.runs import Sample, Startup
from bench.scores import Score

RUNS = {
    "a0": Sample(wall=6.0, cases=700, requests=1200, rss_mb=110.0),
    "a": Sample(wall=5.0, cases=700, requests=1000, rss_mb=105.0, first_request=0.8),
    "b": Sample(wall=3.0, cases=450, requests=450, rss_mb=100.0, first_request=1.5),
    "c": Sample(wall=2.0, cases=1000, requests=1000, rss_mb=30.0, first_request=0.1),
}
SCORES = {"a0": Score(42, 42), "b": Score(16, 42)}
STARTUP = Startup(help=0.08, version=0.35)


def test_the_json_holds_every_run_and_the_ratios_ci_tracks() -> None:
    figures = document(RUNS, machine="2 cores", settings={"max_examples": 25}, scores=SCORES, startup=STARTUP)
    assert figures["runs"]["a0"] == {"wall_s": 6.0, "requests": 1200, "cases": 700, "peak_mb": 110.0}
    assert figures["runs"]["a"]["first_request_s"] == 0.8  # seen by the shared server; (a0) has its own
    assert figures["startup"] == {"help_s": 0.08, "version_s": 0.35}
    assert figures["goals"]["(a) first request"] == {"value": 0.8, "bound": 1.0, "unit": " s", "met": True}
    assert set(figures["runs"]) == {"a0", "a", "b", "c"}
    assert figures["ratios"] == {
        "a0_over_b_wall": 2.0,
        "per_request_over_raw": 2.5,
        "per_request_running_over_raw": 2.211,  # (5.0 - 0.8) s / 1000 over (2.0 - 0.1) s / 1000
    }
    assert figures["mutation"]["b"] == {"killed": 16, "total": 42, "score": 0.381}
    json.dumps(figures)  # serialisable as it is


def test_the_goals_are_judged_against_their_bounds() -> None:
    verdicts = {goal.name: goal.met for goal in goals(RUNS, SCORES, STARTUP)}
    assert verdicts == {
        "(a0) wall": False,  # 6 s > 4 s
        "(a0) requests": False,  # 1200 > 1000
        "(a) per request vs raw": False,  # 2.5× > 1.5×
        "(a) per request vs raw, once running": False,  # 2.21× > 1.5×
        "(a0) peak memory": True,
        "(a0) mutants survived": True,
        "(a) first request": True,  # 0.8 s ≤ 1 s
        "--help": True,  # 0.08 s ≤ 0.3 s
        "--version": False,  # 0.35 s > 0.3 s
    }


def test_the_scale_tells_what_each_added_request_costs() -> None:
    """The fixed costs (start-up, reports) drop out of the slope between two example counts."""
    scaled = {
        10: Sample(wall=3.0, cases=100, requests=500, rss_mb=100.0),
        25: Sample(wall=4.0, cases=250, requests=1000, rss_mb=100.0),
        50: Sample(wall=7.0, cases=500, requests=2000, rss_mb=100.0),
    }
    figures = document(RUNS, machine="2 cores", settings={}, scaled=scaled)
    assert figures["scale_marginal_ms_per_request"] == {"10-25": 2.0, "25-50": 3.0}
    assert marginal({10: scaled[10]}) == {}


def test_the_table_sets_the_runs_side_by_side() -> None:
    lines = table(RUNS, SCORES, STARTUP)
    assert all(title in lines[0] for title in ("(a0)", "(a)", "(b)", "(c)"))
    row = {line.split("  ")[0].strip(): line.split() for line in lines[1:] if line.strip()}
    assert row["per request vs raw"][-4:] == ["2.50×", "2.50×", "3.33×", "1.00×"]
    assert row["mutants found"][-4:] == ["42/42", "—", "16/42", "—"]
    assert row["first request s"][-4:] == ["—", "0.80", "1.50", "0.10"]
    assert "conformance --help: 0.08 s   --version: 0.35 s" in lines
    assert "(a) first request: 0.80 s (goal ≤ 1 s) — met" in lines
    assert "(a0)/(b) wall: 2.00   (a)/(c) per request: 2.50 (after each one's first request: 2.21)" in lines
    assert "(a0) requests: 1200 (goal ≤ 1000) — NOT met" in lines


def test_a_json_file_in_a_missing_directory_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit:
        main(["--json", "/nonexistent-dir/figures.json"])
    assert exit.value.code == 2
    assert "no such directory" in capsys.readouterr().err


@pytest.mark.slow
def test_one_small_benchmark_runs_and_writes_its_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--repeat", "1", "--max-examples", "2", "--json", str(tmp_path / "bench.json")]) == 0
    out = capsys.readouterr().out
    assert all(title in out for title in ("(a0)", "(a)", "(b)", "(c)", "machine:"))
    figures = json.loads((tmp_path / "bench.json").read_text(encoding="utf-8"))
    assert all(figures["runs"][name]["requests"] > 0 for name in ("a0", "a", "b", "c"))
    assert figures["runs"]["c"]["requests"] == figures["runs"]["a"]["requests"]
    assert all(figures["runs"][name]["first_request_s"] > 0 for name in ("a", "b", "c"))
    assert "first_request_s" not in figures["runs"]["a0"]  # its server is inside the child
    assert set(figures["startup"]) == {"help_s", "version_s"}

"""The benchmark's machinery works end to end (not a timed test: no assertion on durations)."""

from __future__ import annotations

import pytest

from bench.command import Sample, main, table

pytestmark = pytest.mark.slow


def test_the_table_has_every_run_and_the_ratios() -> None:
    results = {name: Sample(wall=2.0, cases=100, requests=250, rss_mb=90.0) for name in ("a0", "a", "b", "c")}
    lines = table(results)
    assert sum(line.startswith(("(a", "(b", "(c")) for line in lines) >= 4
    assert any("(a)/(b) cases per second: 1.00" in line for line in lines)
    assert any("(a)/(c) cost per case vs per raw request: 2.50" in line for line in lines)


def test_one_small_benchmark_runs_and_prints_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--repeat", "1", "--max-examples", "2"]) == 0
    out = capsys.readouterr().out
    for name in ("(a0)", "(a)", "(b)", "(c)"):
        assert name in out
    assert "cases per second" in out
    assert "machine:" in out

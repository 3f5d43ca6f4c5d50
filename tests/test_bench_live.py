"""`python -m bench.live` measures a live run as a user meets it: on the simulated network the
target is proven disposable, so the full profile runs unpaced and covers what needs the network."""

from __future__ import annotations

import pytest

from bench.live import TARGETS, main, measure

DEFAULT_PACE_S = 0.2  # 5 requests per second, what a live target gets unless proven disposable


def test_a_run_on_the_simulated_network_is_proven_unpaced_and_covers_the_network_requirements() -> None:
    row = measure("network-documented", examples=1, seed=0)
    assert row.verdict == "conformant (0 defects)"
    covered, total = map(int, row.covered.split("/"))
    assert covered > total / 2, "the full profile on the network covers more than the read-only third"
    assert row.wall < row.requests * DEFAULT_PACE_S / 4, "a proven target is not paced"


def test_an_unknown_row_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert {"read-only", "network", "network-paced"} <= TARGETS.keys()
    with pytest.raises(SystemExit) as stopped:
        main(["--rows", "read-only,nonsense"])
    assert stopped.value.code == 2
    assert "unknown rows: nonsense" in capsys.readouterr().err

"""A run leaves what it imported before starting out of the garbage collector's sweeps, and
sweeps its youngest generation less often (0.5 s of a default run's CPU)."""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.run.gc_settings import YOUNGEST_GENERATION, settle_imports


@pytest.fixture
def collector_restored() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


@pytest.mark.usefixtures("collector_restored")
def test_settling_freezes_what_is_alive_and_widens_only_the_youngest_generation() -> None:
    _, middle, oldest = gc.get_threshold()
    settle_imports()
    assert gc.get_freeze_count() > 10_000, "the imported modules' objects are frozen"
    assert gc.get_threshold() == (YOUNGEST_GENERATION, middle, oldest)


REPOSITORY = Path(__file__).resolve().parents[1]
# pytest in-process, then what the collector was left with
PROBE = """
import gc, sys, pytest
from conformance.cli.runner import pytest_args
pytest.main(pytest_args(["--co", "-q"]) if sys.argv[1] == "run" else ["--co", "-q", sys.argv[1]])
print(gc.get_freeze_count() > 0, gc.get_threshold()[0])
"""


def test_a_conformance_run_settles_its_imports_and_another_pytest_run_does_not() -> None:
    def settled(argument: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", PROBE, argument],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=REPOSITORY,
        )
        return done.stdout.splitlines()[-1]

    assert settled("run") == f"True {YOUNGEST_GENERATION}"
    assert settled(__file__) == "False 700", "this repository's own tests keep Python's defaults"

"""Servers the docs allow pass: the suite, end to end, reports zero defects against each.

A false defect is as bad as a missed one: every behaviour and representation variant of the
reference server that the docs (plus slskd's facts) allow must come out conformant, over
several seeds, and the readings it took show up as INFO findings, never as defects.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.reference.variants import VARIANTS
from tests.test_end_to_end import Run, forked_run

pytestmark = pytest.mark.slow

FAST = ("--max-examples=5", "--no-shrink")


def defects(run: Run) -> list[str]:
    return [r["id"] for r in run.results["requirements"] if r["status"] == "fail" and r["level"] != "INFO"]


def readings(run: Run) -> list[str]:
    rows = {r["id"]: r for r in run.results["requirements"]}
    return [e["message"] for e in rows["DOCGAP-READING"]["evidence"]]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_slskd_as_its_code_intends_is_conformant(tmp_path: Path, seed: int) -> None:
    run = forked_run(tmp_path, "--server-behaviour=intended", f"--seed={seed}", *FAST)
    assert (run.code, defects(run)) == (0, []), run.stdout[-3000:]
    assert any("read as 'closed-not-found'" in message for message in readings(run))


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_each_representation_variant_is_conformant(tmp_path: Path, variant: str) -> None:
    seed = list(VARIANTS).index(variant) % 3  # the variants share the seeds out between them
    run = forked_run(tmp_path, f"--reference-variant={variant}", f"--seed={seed}", *FAST)
    assert (run.code, defects(run)) == (0, []), run.stdout[-3000:]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_variant_at_once_is_conformant(tmp_path: Path, seed: int) -> None:
    every = [f"--reference-variant={variant}" for variant in VARIANTS]
    run = forked_run(tmp_path, *every, f"--seed={seed}", *FAST)
    assert (run.code, defects(run)) == (0, []), run.stdout[-3000:]

"""Mutation scores side by side: how many faults of the corpus each kind of run finds.

(a0) the conformance run: killed as `conformance mutants` counts it (the run fails and names
the requirement the corpus expects). (b) plain Schemathesis: it already fails the faithful
server (ST301 on slskd's closing DELETE, ST204 …), so a mutant counts as found when the run
reports a failure code the faithful server's run does not: a generous count, since the code
need not point at the fault.
"""

from __future__ import annotations

import secrets
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from bench.runs import schemathesis_argv, schemathesis_report
from conformance.mutation.mutants import load_corpus, run_mutant
from conformance.reference.server import ReferenceOptions, ReferenceServer


@dataclass(frozen=True)
class Score:
    killed: int
    total: int

    def __str__(self) -> str:
        return f"{self.killed}/{self.total}"

    def as_json(self) -> dict[str, Any]:
        return {"killed": self.killed, "total": self.total, "score": round(self.killed / self.total, 3)}


def schemathesis_failure_codes(faults: frozenset[str], examples: int, seed: int) -> frozenset[str]:
    """The failure codes plain Schemathesis reports against a server with these faults."""
    key = secrets.token_urlsafe(24)
    with (
        ReferenceServer(ReferenceOptions(api_key=key, faults=faults)) as server,
        tempfile.TemporaryDirectory() as reports,
    ):
        argv = schemathesis_argv(server.url, key, examples, seed, reports)
        subprocess.run(argv, cwd=reports, capture_output=True, check=False)
        return frozenset(failure["code"] for failure in schemathesis_report(reports)["failures"])


def count(found: Callable[[str], bool], faults: Iterable[str], jobs: int) -> int:
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return sum(pool.map(found, faults))


def mutation_scores(examples: int, seed: int, jobs: int) -> dict[str, Score]:
    """(a0)'s and (b)'s score over the whole corpus, with the same examples and seed."""
    faults = list(load_corpus())
    faithful = schemathesis_failure_codes(frozenset(), examples, seed)

    def conformance_kills(fault: str) -> bool:
        return run_mutant(fault, max_examples=examples, seed=seed).killed

    def schemathesis_finds(fault: str) -> bool:
        return bool(schemathesis_failure_codes(frozenset({fault}), examples, seed) - faithful)

    return {
        "a0": Score(count(conformance_kills, faults, jobs), len(faults)),
        "b": Score(count(schemathesis_finds, faults, jobs), len(faults)),
    }

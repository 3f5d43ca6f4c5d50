"""Runs the whole suite against one mutant of the reference server and judges the outcome.

Each run is a separate process (a fresh server, a fresh Hypothesis state) entering
`conformance run --reference-fault NAME` where a user's shell does (forked from a server that
has done the imports, `forks.py`); the verdict is read back from the run's results.json, the
same file every report is made from.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from conformance.data.yaml_files import read_yaml
from conformance.mutation.forks import conformance_process
from conformance.requirements.judge import is_defect

CORPUS_PATH = Path(__file__).with_name("corpus.yaml")


@cache
def load_corpus(path: Path = CORPUS_PATH) -> dict[str, tuple[str, ...]]:
    data = read_yaml(path)
    return {fault: tuple(kills) for fault, kills in data["mutants"].items()}


@dataclass(frozen=True)
class Outcome:
    fault: str | None  # None: the faithful server
    exit_code: int
    failing: frozenset[str]  # requirements that failed (defects and documentation gaps)
    defects: frozenset[str]
    expected: tuple[str, ...] = ()
    error: str | None = None  # why the run wrote no results, if it did not

    @property
    def killed(self) -> bool:
        return self.exit_code == 1 and set(self.expected) <= self.failing


def run_suite_process(extra: list[str], *, max_examples: int, seed: int) -> Outcome:
    """One conformance run in a child process; returns what its results.json says."""
    with tempfile.TemporaryDirectory(prefix="slskd-conformance-") as tmp:
        reports, stdout, stderr = Path(tmp) / "reports", Path(tmp) / "stdout", Path(tmp) / "stderr"
        args = [
            *extra,
            "-q",
            "--no-header",
            "-p",
            "no:randomly",
            f"--reports-dir={reports}",
            f"--max-examples={max_examples}",
            f"--seed={seed}",
            "--no-shrink",  # a kill needs the failure, not its minimal sequence
        ]
        exit_code = conformance_process(["run", *args], stdout, stderr)
        results_path = reports / "latest" / "results.json"
        if not results_path.exists():  # the run never got going: nothing was judged
            said = [_said(stderr), _said(stdout), "no output"]
            return Outcome(None, exit_code, frozenset(), frozenset(), error=next(s for s in said if s))
        results = json.loads(results_path.read_text(encoding="utf-8"))
    failing = frozenset(r["id"] for r in results["requirements"] if r["status"] == "fail")
    strict = results["run"]["strict_docs"]
    defects = frozenset(
        r["id"] for r in results["requirements"] if is_defect(r["level"], r["status"], strict)
    )
    return Outcome(None, exit_code, failing, defects)


def _said(output: Path) -> str:
    """The last line a run wrote to `output`, if any."""
    text = output.read_text(encoding="utf-8", errors="replace").strip() if output.exists() else ""
    return text.splitlines()[-1] if text else ""


def run_mutant(fault: str, *, max_examples: int = 10, seed: int = 0) -> Outcome:
    outcome = run_suite_process([f"--reference-fault={fault}"], max_examples=max_examples, seed=seed)
    return Outcome(
        fault, outcome.exit_code, outcome.failing, outcome.defects, load_corpus()[fault], outcome.error
    )

"""Runs the whole suite against one mutant of the reference server and judges the outcome.

Each run is a separate process (a fresh server, a fresh Hypothesis state) entering
`conformance run --reference-fault NAME` where a user's shell does (forked from a server that
has done the imports, `forks.py`); the verdict is read back from the run's results.json, the
same file every report is made from.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

from conformance.apis import installed
from conformance.data.yaml_files import read_yaml
from conformance.mutation.forks import conformance_process
from conformance.reporting.view import failing_operations
from conformance.requirements.judge import is_defect


@dataclass(frozen=True)
class Kill:
    """A requirement a run against a mutant must fail, and, when the corpus says
    `ID on METHOD /path`, the one operation its failures must name: a mutant that breaks one
    route is found only if the failure is pinned on that route, not on every route."""

    requirement: str
    operation: str | None = None  # "GET /conversations/{username}"

    @classmethod
    def parse(cls, text: str) -> Kill:
        requirement, _, operation = text.partition(" on ")
        return cls(requirement.strip(), operation.strip() or None)

    def __str__(self) -> str:
        return self.requirement if self.operation is None else f"{self.requirement} on {self.operation}"


def corpus_paths() -> tuple[Path, ...]:
    """The corpus files of the installed APIs (an API without mutants declares none)."""
    return tuple(path for api in installed() if (path := api.file(api.corpus)) is not None)


@cache
def load_corpus(paths: tuple[Path, ...] | None = None) -> dict[str, tuple[Kill, ...]]:
    """The mutant corpus: every installed API's mutants (or those of `paths`), in the
    registry's order; a fault named by two files is an error, as a requirement defined twice is."""
    corpus: dict[str, tuple[Kill, ...]] = {}
    for path in corpus_paths() if paths is None else paths:
        for fault, entry in read_yaml(path)["mutants"].items():
            if fault in corpus:
                raise ValueError(f"mutant {fault!r} is in two corpus files (again in {path})")
            corpus[fault] = tuple(map(Kill.parse, entry["kills"] if isinstance(entry, dict) else entry))
    return corpus


@cache
def run_options(fault: str) -> tuple[str, ...]:
    """The options a mutant's run needs besides its fault (a corpus entry written
    `{kills: [...], run: [--reference-not-logged-in]}`: a fault only a target in that state shows)."""
    for path in corpus_paths():
        entry = read_yaml(path)["mutants"].get(fault)
        if isinstance(entry, dict):
            return tuple(entry.get("run", ()))
    return ()


@dataclass(frozen=True)
class Outcome:
    fault: str | None  # None: the faithful server
    exit_code: int
    failing: frozenset[str]  # requirements that failed (defects and documentation gaps)
    defects: frozenset[str]
    expected: tuple[Kill, ...] = ()
    error: str | None = None  # why the run wrote no results, if it did not
    # failing requirement → the operations its failures happened on
    failing_on: Mapping[str, frozenset[str]] = field(default_factory=dict)

    @property
    def killed(self) -> bool:
        return self.exit_code == 1 and not self.unmet()

    def unmet(self) -> tuple[Kill, ...]:
        """The expected kills the run did not make."""
        return tuple(kill for kill in self.expected if not self._made(kill))

    def _made(self, kill: Kill) -> bool:
        if kill.requirement not in self.failing:
            return False
        return kill.operation is None or self.failing_on.get(kill.requirement) == {kill.operation}


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
    failed = [r for r in results["requirements"] if r["status"] == "fail"]
    failing_on = {r["id"]: frozenset(failing_operations(r)) for r in failed}
    strict = results["run"]["strict_docs"]
    defects = frozenset(
        r["id"] for r in results["requirements"] if is_defect(r["level"], r["status"], strict)
    )
    return Outcome(None, exit_code, frozenset(failing_on), defects, failing_on=failing_on)


def _said(output: Path) -> str:
    """The last line a run wrote to `output`, if any."""
    text = output.read_text(encoding="utf-8", errors="replace").strip() if output.exists() else ""
    return text.splitlines()[-1] if text else ""


def run_mutant(fault: str, *, max_examples: int = 10, seed: int = 0) -> Outcome:
    extra = [f"--reference-fault={fault}", *run_options(fault)]
    outcome = run_suite_process(extra, max_examples=max_examples, seed=seed)
    return replace(outcome, fault=fault, expected=load_corpus()[fault])

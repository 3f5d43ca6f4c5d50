"""Two runs side by side: what regressed, what was fixed, what changed in between.

The question after upgrading slskd (or the checker) is "what got worse?"; the answer must
gate CI, so `compare_main` exits 1 exactly when a requirement that passed now fails.
Documentation gaps are tracked apart: a new gap is news for the docs, not a regression of
the server, unless the new run was strict about docs.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.errors import ExitCode
from conformance.reporting import view
from conformance.reporting.html import ENVIRONMENT
from conformance.reporting.schema import ResultsFormatError, load_results
from conformance.reporting.text import shorten
from conformance.requirements.judge import failed_is_defect

MESSAGE_LIMIT = 100


@dataclass(frozen=True)
class Change:
    """One requirement whose status differs between the runs (None: absent from that run)."""

    id: str
    level: str
    statement: str
    old: str | None
    new: str | None
    message: str = ""  # the newest failure message of whichever run failed


@dataclass
class Comparison:
    old_run: str
    new_run: str
    old_verdict: str
    new_verdict: str
    regressed: list[Change] = field(default_factory=list)  # pass → fail
    fixed: list[Change] = field(default_factory=list)  # fail → pass
    new: list[Change] = field(default_factory=list)  # only in the new run
    removed: list[Change] = field(default_factory=list)  # only in the old run
    changed: list[Change] = field(default_factory=list)  # any other status change
    doc_gaps_opened: list[Change] = field(default_factory=list)
    doc_gaps_closed: list[Change] = field(default_factory=list)
    old_target: str = ""  # what each run ran against (kind, behaviour, faults, version, profile)
    new_target: str = ""

    @property
    def regressions(self) -> bool:
        return bool(self.regressed)


def _change(old: view.RequirementRow | None, new: view.RequirementRow | None) -> Change:
    current = new or old
    assert current is not None
    failing = new if new and new["status"] == "fail" else old
    return Change(
        id=current["id"],
        level=current["level"],
        statement=current["statement"],
        old=old["status"] if old else None,
        new=new["status"] if new else None,
        message=view.first_message(failing) if failing and failing["status"] == "fail" else "",
    )


def compare(old: dict[str, Any], new: dict[str, Any]) -> Comparison:
    """Classify every requirement of either run by how its status moved."""
    before = {r["id"]: r for r in old["requirements"]}
    after = {r["id"]: r for r in new["requirements"]}
    strict = new["run"]["strict_docs"]
    result = Comparison(
        old["run"]["id"],
        new["run"]["id"],
        old["summary"]["verdict"],
        new["summary"]["verdict"],
        old_target=view.target_line(old),
        new_target=view.target_line(new),
    )
    for rid, requirement in after.items():
        previous = before.get(rid)
        if previous is None:
            result.new.append(_change(None, requirement))
            continue
        moved = (previous["status"], requirement["status"])
        if moved[0] == moved[1]:
            continue
        change = _change(previous, requirement)
        if "fail" in moved and not failed_is_defect(requirement["level"], strict):
            bucket = result.doc_gaps_opened if moved[1] == "fail" else result.doc_gaps_closed
        elif moved == ("pass", "fail"):
            bucket = result.regressed
        elif moved == ("fail", "pass"):
            bucket = result.fixed
        else:
            bucket = result.changed
        bucket.append(change)
    result.removed = [_change(requirement, None) for rid, requirement in before.items() if rid not in after]
    return result


def _change_line(change: Change) -> str:
    message = f": {shorten(change.message, MESSAGE_LIMIT)}" if change.message else ""
    return f"    {change.id} [{change.level}] {change.old or '-'} -> {change.new or '-'}{message}"


def comparison_lines(cmp: Comparison) -> list[str]:
    """The comparison for a terminal: headline first, then only the sections with entries."""
    lines = [
        f"compare {cmp.old_run} -> {cmp.new_run}: {cmp.old_verdict} -> {cmp.new_verdict}",
        f"  {view.plural(len(cmp.regressed), 'regression')}, {len(cmp.fixed)} fixed",
    ]
    lines += [f"  before: {cmp.old_target}", f"  now:    {cmp.new_target}"]
    for title, changes in _sections(cmp):
        if changes:
            lines.append(f"  {title} ({len(changes)}):")
            lines += [_change_line(change) for change in changes]
    return lines


def _sections(cmp: Comparison) -> list[tuple[str, list[Change]]]:
    return [
        ("regressed", cmp.regressed),
        ("fixed", cmp.fixed),
        ("new documentation gaps", cmp.doc_gaps_opened),
        ("closed documentation gaps", cmp.doc_gaps_closed),
        ("other status changes", cmp.changed),
        ("new requirements", cmp.new),
        ("removed requirements", cmp.removed),
    ]


def render_comparison_html(cmp: Comparison, old: dict[str, Any], new: dict[str, Any]) -> str:
    return ENVIRONMENT.get_template("compare.html.j2").render(
        cmp=cmp, old=old, new=new, sections=_sections(cmp)
    )


def compare_main(old_path: Path, new_path: Path, out_dir: Path | None) -> int:
    """Print the comparison (and write compare.html to `out_dir`); 1 on regressions, 2 on bad input."""
    try:
        old, new = load_results(Path(old_path)), load_results(Path(new_path))
    except ResultsFormatError as error:
        print(f"conformance compare: {error}", file=sys.stderr)
        return ExitCode.USAGE
    cmp = compare(old, new)
    for line in comparison_lines(cmp):
        print(line)
    if out_dir is not None:
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / "compare.html"
        path.write_text(render_comparison_html(cmp, old, new), encoding="utf-8")
        print(f"  report: {path}")
    return ExitCode.NON_CONFORMANT if cmp.regressions else ExitCode.CONFORMANT

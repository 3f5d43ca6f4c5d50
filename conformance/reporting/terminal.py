"""The end-of-run summary in the terminal: the verdict and what to look at, in a dozen lines.

The HTML report holds the detail; the terminal only has to say whether the target
conforms, which requirements failed (one line each, so a CI log is enough to start
investigating) and where the full reports are.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conformance.reporting import view
from conformance.reporting.text import shorten

MESSAGE_LIMIT = 100
IDS_PER_LINE = 6
REASON_LIMIT = 120
NO_REASON = "no check of this run exercised them"
# This many distinct reasons under one head ("not sent to a live slskd: <why>") are one line:
# each has its own why, which only the HTML report has room for.
FOLD_REASONS_AT = 3


def _requirement_lines(requirement: view.RequirementRow) -> list[str]:
    """The newest failure's message, and how many distinct failures and repeats lie behind it."""
    folded = view.folded_line(requirement)
    line = f"    {requirement['id']}: {shorten(view.first_message(requirement), MESSAGE_LIMIT)}"
    return [line, f"      ({folded})"] if folded else [line]


def _id_lines(requirements: list[view.RequirementRow]) -> list[str]:
    ids = [r["id"] for r in requirements]
    return ["    " + ", ".join(ids[i : i + IDS_PER_LINE]) for i in range(0, len(ids), IDS_PER_LINE)]


def _reason_lines(
    requirements: list[view.RequirementRow], unexplained: str, where: str, section: str
) -> list[str]:
    """The ids grouped by why nothing was seen of them, each reason said once (a pass needs
    a behaviour seen, so a reader must learn why a requirement has none).

    Reasons that share a head (`head: why`), `FOLD_REASONS_AT` of them or more, are one line
    with their count and where the report lists them: a read-only live run has a dozen reads
    it does not send, each with its own why, two lines each after pytest's summary otherwise.
    """
    groups: dict[str, list[view.RequirementRow]] = {}
    for requirement in requirements:
        groups.setdefault(requirement.get("reason") or unexplained, []).append(requirement)
    heads: dict[str, list[str]] = {}
    for reason in groups:
        if ": " in reason:
            heads.setdefault(reason.split(": ", 1)[0], []).append(reason)
    folded = {
        reason: head
        for head, reasons in heads.items()
        if len(reasons) >= FOLD_REASONS_AT
        for reason in reasons
    }
    lines = []
    for reason, group in groups.items():
        head = folded.get(reason)
        if head is None:
            lines.append(f"    {shorten(reason, REASON_LIMIT)}:")
            lines += ["  " + line for line in _id_lines(group)]
        elif reason == heads[head][0]:
            count = sum(len(groups[member]) for member in heads[head])
            listed = f"each with its reason in {where}, under {section}"
            lines.append(f"    {head}: {view.plural(count, 'requirement')}, {listed}")
    return lines


def summary_lines(results: dict[str, Any], reports: Path | None = None) -> list[str]:
    """Lines to print after a run; `reports` is the folder the reports were written to, if any."""
    run = results["run"]
    summary = results["summary"]
    defect_count = view.plural(summary["defects"], "defect")
    gap_count = view.plural(summary["doc_gaps"], "documentation gap")
    lines = [f"verdict: {summary['verdict'].upper()} ({defect_count}, {gap_count})"]
    unchecked = view.auth_unchecked(results)
    lines += [f"  {unchecked}"] if unchecked else []  # right under the verdict: it qualifies it
    lines += [f"  cut short: {reason}" for reason in summary.get("incomplete") or ()]
    lines += [f"  cleanup could not undo: {finding}" for finding in run.get("cleanup") or ()]
    network = view.network_unimplemented(results)
    lines += [f"  {network}"] if network else []  # before the defects it may explain
    defects = view.defects(results)
    for level in view.LEVELS:
        failing = [r for r in defects if r["level"] == level]
        if failing:
            lines.append(f"  {level} defects ({len(failing)}):")
            lines += [line for r in failing for line in _requirement_lines(r)]
    gaps = view.doc_gaps(results)
    if gaps:
        counted = "counted as defects (--strict-docs)" if run["strict_docs"] else "not counted as defects"
        lines.append(f"  documentation gaps ({len(gaps)}, {counted}):")
        lines += [line for r in gaps for line in _requirement_lines(r)]
    lines.append(f"  {view.coverage_line(results)}")
    where = f"{reports}/index.html" if reports is not None else "the HTML report"
    for status, title, unexplained in (
        ("not-covered", "not covered", NO_REASON),
        ("skipped", "skipped", "skipped with no reason recorded"),
    ):
        found = view.with_status(results, status)
        if found:
            lines.append(f"  {title} ({len(found)}):")
            lines += _reason_lines(found, unexplained, where, title.capitalize())
    version = run["server_version"] or "unknown version"
    lines.append(
        f"  target: {run['target']['url']} ({run['target']['kind']}, slskd {version}) · seed {run['seed']}"
        f" · {run['requests']} requests in {run['duration_s']:.1f} s"
    )
    lines += [f"  note: {note}" for note in run["notes"]]
    if reports is not None:
        lines.append(f"  reports: {reports}/index.html, junit.xml, results.json")
    return lines

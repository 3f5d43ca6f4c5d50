"""What every view derives from a results document: defects, gaps, coverage, masked evidence.

HTML, JUnit, terminal and comparison all ask the same questions of results.json ("which
failures are defects?", "what is covered?"); answering them once here keeps the views in
agreement and keeps the templates free of logic.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from conformance.requirements import judge
from conformance.results.exchange import operation_of
from conformance.results.secret_forms import CREDENTIAL_HEADERS, MASK

LEVELS = ("MUST", "SHOULD", "INFO")
STATUSES = ("pass", "fail", "not-covered", "skipped")

RequirementRow = dict[str, Any]


def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count} {word if count == 1 else many or word + 's'}"


def is_defect(requirement: RequirementRow, strict_docs: bool) -> bool:
    """Whether a requirement row of results.json is a defect (the level rule, `judge.is_defect`)."""
    return judge.is_defect(requirement["level"], requirement["status"], strict_docs)


def is_doc_gap(requirement: RequirementRow) -> bool:
    return judge.is_doc_gap(requirement["level"], requirement["status"])


def shown_status(level: str, status: str) -> str:
    """The status as the reports show it: a failed INFO requirement reads as a documentation gap."""
    return "gap" if judge.is_doc_gap(level, status) else status


def defects(results: Mapping[str, Any]) -> list[RequirementRow]:
    strict = results["run"]["strict_docs"]
    return [r for r in results["requirements"] if is_defect(r, strict)]


def doc_gaps(results: Mapping[str, Any]) -> list[RequirementRow]:
    return [r for r in results["requirements"] if is_doc_gap(r)]


def with_status(results: Mapping[str, Any], status: str) -> list[RequirementRow]:
    return [r for r in results["requirements"] if r["status"] == status]


def by_tag(results: Mapping[str, Any]) -> dict[str, list[RequirementRow]]:
    """Requirements grouped by API tag, tags and requirements in catalogue order."""
    groups: dict[str, list[RequirementRow]] = {}
    for requirement in results["requirements"]:
        groups.setdefault(requirement["tag"], []).append(requirement)
    return groups


def operations(results: Mapping[str, Any]) -> list[str]:
    """Every operation any requirement names, in order of first mention."""
    return list(dict.fromkeys(op for r in results["requirements"] for op in r["operations"]))


def first_message(requirement: RequirementRow) -> str:
    """The newest failure's message: after shrinking it is the minimal one."""
    evidence = requirement["evidence"]
    return evidence[-1]["message"] if evidence else ""


def folded_line(requirement: RequirementRow) -> str:
    """How the evidence was kept: 'kept 2 distinct failures; 10 repeats folded' ('' for none)."""
    evidence = requirement["evidence"]
    repeats = sum(item.get("repeats", 0) for item in evidence)
    if not evidence or (len(evidence) == 1 and not repeats):
        return ""
    kept = f"kept {plural(len(evidence), 'distinct failure')}"
    return f"{kept}; {plural(repeats, 'repeat')} of the same kind folded" if repeats else kept


def evidence_title(item: Mapping[str, Any]) -> str:
    """What kind of failure a piece of evidence is, e.g.
    'GET /shares/{id}/contents → 500 · 3 repeats folded'."""
    parts = [item.get("operation") or ""]
    if item.get("status") is not None:
        parts[0] = f"{parts[0]} → {item['status']}".strip()
    if item.get("repeats"):
        parts.append(f"{plural(item['repeats'], 'repeat')} folded")
    return " · ".join(part for part in parts if part)


def coverage_line(results: Mapping[str, Any]) -> str:
    summary = results["summary"]
    total, covered = summary["requirements"], summary["covered"]
    percent = round(100 * covered / total) if total else 100
    return f"requirements covered: {covered}/{total} ({percent}%)"


def auth_unchecked(results: Mapping[str, Any]) -> str | None:
    """Why the auth checks did not run, for the first screen of every report (a conformant
    verdict without them says less than it seems); None when they ran, or when the document
    predates `run.authentication`."""
    authentication = results["run"].get("authentication")
    if not authentication or authentication["state"] == "on":
        return None
    return f"auth checks not run: authentication is {authentication['state']} ({authentication['reason']})"


def network_unimplemented(results: Mapping[str, Any]) -> str | None:
    """What the simulated network did not carry out during the run, in one line, next to the
    failures it may explain (slskd answers 500 when the network never answers); None when it
    carried out everything, or the run was not proven on it (or predates `run.network`)."""
    network = results["run"].get("network")
    if not network:
        return None
    if network["error"]:
        return f"what the simulated network did not carry out is unknown: {network['error']}"
    records = network["unimplemented"]
    if not records:
        return None
    parts = []
    for record in records:
        name = f" {record['name']}" if record["name"] else ""
        outcome = f"refused with {record['answer']}" if record["answer"] else "unanswered"
        parts.append(f"code {record['code']}{name} ×{record['count']} {outcome}")
    total = plural(sum(record["count"] for record in records), "request")
    return (
        f"the simulated network did not carry out {total} during the run: {', '.join(parts)}; "
        "a failure waiting on one may be the network's, not the target's"
    )


def target_line(results: Mapping[str, Any]) -> str:
    """What a run ran against, in one line: `embedded (behaviour slskd), slskd 0.26.0, profile full`."""
    run = results["run"]
    target = run["target"]
    details = [f"behaviour {target['behaviour']}"] if target["behaviour"] else []
    if target["fault"]:
        details.append(f"faults {target['fault']}")
    kind = f"{target['kind']} ({', '.join(details)})" if details else target["kind"]
    return f"{kind}, slskd {run['server_version'] or 'unknown'}, profile {run['profile']}"


def verdict_headline(results: Mapping[str, Any]) -> str:
    """'Conformant', 'Non-conformant' or 'Incomplete' (with why), with the defect and gap counts."""
    summary = results["summary"]
    parts = [plural(summary["defects"], "defect")] if summary["defects"] else []
    if summary["doc_gaps"]:
        parts.append(plural(summary["doc_gaps"], "documentation gap"))
    head = {"conformant": "Conformant", "incomplete": "Incomplete"}.get(summary["verdict"], "Non-conformant")
    if summary["verdict"] == "incomplete":  # cut short: say why first, then what was found so far
        parts = ["; ".join(summary.get("incomplete") or ()), *parts]
    return f"{head}: {', '.join(parts)}" if parts else head


@dataclass
class OperationRow:
    """Per operation, how many requirements about it ended in each status, per level."""

    operation: str
    counts: dict[str, dict[str, int]] = field(
        default_factory=lambda: {level: dict.fromkeys(STATUSES, 0) for level in LEVELS}
    )

    @property
    def has_findings(self) -> bool:
        """A defect or a documentation gap happened on this operation."""
        return any(counts["fail"] for counts in self.counts.values())


def operation_rows(results: Mapping[str, Any]) -> list[OperationRow]:
    """A row per operation; a failure counts only against the operations where it happened."""
    rows = {op: OperationRow(op) for op in operations(results)}
    for requirement in results["requirements"]:
        status = requirement["status"]
        where = failing_operations(requirement) if status == "fail" else requirement["operations"]
        for op in where:
            rows[op].counts[requirement["level"]][status] += 1
    return list(rows.values())


def failing_operations(requirement: RequirementRow) -> list[str]:
    """The operations among the requirement's own where its failures happened: per piece of
    evidence, the newest request that was a call of one of them (all of them if none was)."""
    found: dict[str, None] = {}
    for item in requirement["evidence"]:
        for exchange in reversed(item["exchanges"]):
            request = exchange["request"]
            op = operation_of(request["method"], request["url"], requirement["operations"])
            if op:
                found[op] = None
                break
    return list(found) or list(requirement["operations"])


def is_credential(name: str) -> bool:
    return name.lower() in CREDENTIAL_HEADERS


def masked_headers(headers: Mapping[str, str]) -> list[tuple[str, str]]:
    """Headers to display; credential headers show only `***`, whatever results.json holds."""
    return [(name, MASK if is_credential(name) else value) for name, value in headers.items()]


_HEADER_OPTIONS = frozenset({"-H", "--header"})
_CREDENTIAL_IN_TEXT = re.compile(
    r"((?:" + "|".join(re.escape(name) for name in sorted(CREDENTIAL_HEADERS)) + r")\s*:\s*)[^'\"\n]*",
    re.IGNORECASE,
)
# What a credential header holds in our own curl lines: a reference to the user's variable.
_VARIABLE_REFERENCE = re.compile(r"^(Bearer )?\$[A-Z][A-Z0-9_]*$")


def masked_curl(line: str) -> str:
    """A curl line whose credential headers read `***` or a `$VARIABLE`, even if the producer
    forgot to redact; a line that needs no masking is returned as it is (its quoting intact,
    so that `"X-API-Key: $SLSKD_API_KEY"` still expands when pasted)."""
    try:
        words = shlex.split(line)
    except ValueError:  # unbalanced quotes: not parseable, mask textually
        return _CREDENTIAL_IN_TEXT.sub(rf"\1{MASK}", line)
    quoted, changed = [shlex.quote(words[0])] if words else [], False
    for index in range(1, len(words)):
        name, colon, value = words[index].partition(":")
        if words[index - 1] in _HEADER_OPTIONS and colon and is_credential(name.strip()):
            if _VARIABLE_REFERENCE.match(value.strip()):
                quoted.append(f'"{words[index]}"')  # the only double-quoted word: it must expand
                continue
            if value.strip() != MASK:
                words[index], changed = f"{name}: {MASK}", True
        quoted.append(shlex.quote(words[index]))
    return " ".join(quoted) if changed else line

"""Verdicts per requirement, gathered while the suite runs and rolled up at the end.

The run's `Judge` calls `CaseRecorder.record(...)` for every verdict a check reaches; the
recorder keeps a compact tally for the current pytest item, which travels on the item's
report (so it works the same in one process and under pytest-xdist), and `RunResults` folds
the tallies into per-requirement verdicts.
Evidence is redacted as it leaves the recorder: nothing holding a secret ever leaves it.
No distinct failure is lost: one piece of evidence is kept per kind of failure, a
(requirement, operation, check, status) four, and only repeats of a kind are folded into
it (the newest is kept: after shrinking, the minimal one) with a count the reports show.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from conformance.requirements.catalogue import Level, Requirement
from conformance.requirements.judge import is_defect, is_doc_gap
from conformance.results.exchange import Exchange, operation_of

KINDS_PER_REQUIREMENT = 50  # distinct kinds kept; beyond it (a fuzzed route per value) repeats fold
EXCHANGES_PER_EVIDENCE = 25  # the tail of the request sequence that led to a failure

Redactor = Callable[[Exchange], dict[str, Any]]


@dataclass
class Tally:
    checks: int = 0
    failures: int = 0
    evidence: list[dict[str, Any]] = field(default_factory=list)
    reason: str | None = None  # why nothing could be checked (e.g. the route is not implemented)
    seconds: float = 0.0  # this requirement's share of the time of the tests that checked it

    def merge(self, other: Tally) -> None:
        self.checks += other.checks
        self.failures += other.failures
        self.seconds += other.seconds
        self.evidence = fold_evidence(self.evidence + other.evidence)
        self.reason = self.reason or other.reason

    def to_dict(self) -> dict[str, Any]:
        return {
            "checks": self.checks,
            "failures": self.failures,
            "evidence": self.evidence,
            "duration_s": round(self.seconds, 3),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Tally:
        return cls(
            data["checks"],
            data["failures"],
            list(data["evidence"]),
            data.get("reason"),
            data.get("duration_s", 0.0),
        )


Kind = tuple[str, str, int | None]  # (operation, check, status) of one requirement's failure


def kind_of(evidence: Mapping[str, Any]) -> Kind:
    return evidence.get("operation") or "", evidence["check"], evidence.get("status")


def fold_evidence(evidence: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Evidence oldest first, one item per kind: a repeat replaces the item of its kind and
    takes over its count of folded repeats; past `KINDS_PER_REQUIREMENT` kinds, the oldest
    kind folds into the next one (its count carried, so no failure goes uncounted)."""
    kept: dict[Kind, dict[str, Any]] = {}
    for item in evidence:
        earlier = kept.pop(kind_of(item), None)
        if earlier is not None:
            item = {**item, "repeats": item.get("repeats", 0) + earlier.get("repeats", 0) + 1}
        kept[kind_of(item)] = item
    items = list(kept.values())
    while len(items) > KINDS_PER_REQUIREMENT:
        oldest = items.pop(0)
        items[0] = {**items[0], "repeats": items[0].get("repeats", 0) + oldest.get("repeats", 0) + 1}
    return items


@dataclass(frozen=True)
class Failure:
    """A failure as recorded: its exchanges still raw, until it leaves the recorder."""

    check: str
    message: str
    exchanges: tuple[Exchange, ...]
    operation: str  # the requirement's operation the failing request called (else method and path)
    status: int | None  # what that request drew (None: no answer, or no request at all)
    repeats: int = 0  # earlier failures of the same kind folded into this one


class CaseRecorder:
    """Per-process recorder: the transport feeds it exchanges, checks feed it verdicts."""

    def __init__(
        self,
        redact: Redactor,
        curl: Callable[[Exchange], str],
        mask: Callable[[str], str] = str,
        operations: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        """`mask` scrubs secrets from messages, which may quote an echoed header from a body;
        `operations`: requirement → its operation labels, which name a failure's kind."""
        self._redact = redact
        self._mask = mask
        self._curl = curl
        self._operations = operations or {}
        self._window: deque[Exchange] = deque(maxlen=EXCHANGES_PER_EVIDENCE)
        self._tallies: dict[str, Tally] = {}
        self._failures: dict[str, dict[Kind, Failure]] = {}
        self.listeners: list[Callable[[], None]] = []  # told of every request (the progress line)
        self.requests = 0
        self.cases = 0

    def excerpt(self, text: str, limit: int) -> str:
        """The start of `text` for a message: secrets masked first, then cut. Cutting first
        could leave a part of a secret that no spelling of it matches, so none would mask it."""
        return self._mask(text)[:limit]

    def on_exchange(self, exchange: Exchange) -> None:
        self.requests += 1
        self._window.append(exchange)
        for listener in self.listeners:
            listener()

    def begin_case(self) -> None:
        """Start a new evidence window: a failure shows only the requests of its own case."""
        self.cases += 1
        self._window.clear()

    @property
    def window(self) -> tuple[Exchange, ...]:
        return tuple(self._window)

    def record(
        self,
        requirement: str,
        ok: bool,
        message: str = "",
        *,
        check: str = "",
        exchanges: Iterable[Exchange] | None = None,
    ) -> None:
        tally = self._tallies.setdefault(requirement, Tally())
        tally.checks += 1
        if ok:
            return
        tally.failures += 1
        captured = tuple(self._window if exchanges is None else exchanges)
        operation, status = self._where(requirement, captured)
        failures = self._failures.setdefault(requirement, {})
        kind = (operation, check, status)
        earlier = failures.pop(kind, None)
        repeats = earlier.repeats + 1 if earlier else 0
        failures[kind] = Failure(check, message, captured, operation, status, repeats)

    def _where(self, requirement: str, exchanges: tuple[Exchange, ...]) -> tuple[str, int | None]:
        """The operation and status of a failure: its newest request that called one of the
        requirement's operations, else its newest request (method and path) at all."""
        labels = list(self._operations.get(requirement, ()))
        for exchange in reversed(exchanges):
            operation = operation_of(exchange.method, exchange.url, labels)
            if operation:
                return operation, exchange.status
        if not exchanges:
            return "", None
        last = exchanges[-1]
        return f"{last.method} {urlsplit(last.url).path}", last.status

    def _evidence(self, failure: Failure) -> dict[str, Any]:
        """A failure as results.json shows it: its exchanges redacted, with curl lines."""
        return {
            "check": failure.check,
            "operation": failure.operation,
            "status": failure.status,
            "repeats": failure.repeats,
            "message": self._mask(failure.message),
            "exchanges": [self._redact(exchange) for exchange in failure.exchanges],
            "curl": [self._curl(exchange) for exchange in failure.exchanges],
        }

    def newest_failures(self) -> dict[str, dict[str, Any]]:
        """Requirement → its newest failure evidence, of what the current item recorded so far."""
        return {
            requirement: self._evidence(list(failures.values())[-1])
            for requirement, failures in self._failures.items()
        }

    def not_covered(self, requirement: str, reason: str) -> None:
        """Nothing could be checked for `requirement`, and here is why (shown in the report)."""
        self._tallies.setdefault(requirement, Tally()).reason = self._mask(reason)

    def drain(self, seconds: float = 0.0) -> dict[str, dict[str, Any]]:
        """Hand over what this item recorded and start afresh for the next one; the item took
        `seconds`, shared equally by the requirements it checked (JUnit shows real times)."""
        for tally in self._tallies.values():
            tally.seconds += seconds / len(self._tallies)
        drained = {
            str(requirement): {  # a plain str: pytest-xdist cannot send a StrEnum
                **tally.to_dict(),
                "evidence": fold_evidence(
                    [self._evidence(f) for f in self._failures.get(requirement, {}).values()]
                ),
                "reason": tally.reason,
            }
            for requirement, tally in self._tallies.items()
        }
        self._tallies.clear()
        self._failures.clear()
        return drained


@dataclass
class RunResults:
    """The whole run's verdicts, folded from every item's tallies."""

    catalogue: dict[str, Requirement]
    tallies: dict[str, Tally] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # requirement → why it does not apply

    def absorb(self, drained: dict[str, dict[str, Any]]) -> None:
        for requirement, data in drained.items():
            self.tallies.setdefault(requirement, Tally()).merge(Tally.from_dict(data))

    def skip(self, requirement: str, reason: str) -> None:
        self.skipped.setdefault(requirement, reason)

    def status(self, requirement: str) -> str:
        tally = self.tallies.get(requirement)
        if tally and tally.failures:
            return "fail"
        if requirement in self.skipped:
            return "skipped"
        return "pass" if tally and tally.checks else "not-covered"

    def is_defect(self, requirement: Requirement, strict_docs: bool) -> bool:
        return is_defect(requirement.level, self.status(requirement.id), strict_docs)

    def requirement_rows(self) -> list[dict[str, Any]]:
        rows = []
        for requirement in self.catalogue.values():
            tally = self.tallies.get(requirement.id, Tally())
            status = self.status(requirement.id)
            rows.append(
                {
                    "id": requirement.id,
                    "level": requirement.level.value,
                    "tag": requirement.tag,
                    "statement": requirement.statement,
                    "operations": list(requirement.operations),
                    "source": requirement.source,
                    "since": requirement.since,
                    "until": requirement.until,
                    "status": status,
                    "reason": self.skipped.get(requirement.id)
                    or (tally.reason if status == "not-covered" else None),
                    **tally.to_dict(),
                }
            )
        return rows

    def summary(self, strict_docs: bool, cut_short: Iterable[str] = ()) -> dict[str, Any]:
        """The verdict and counts; `cut_short`: why the run stopped early (then it is incomplete)."""
        incomplete = list(dict.fromkeys(cut_short))
        by_level: dict[str, dict[str, int]] = {
            level.value: {"pass": 0, "fail": 0, "not-covered": 0, "skipped": 0} for level in Level
        }
        for requirement in self.catalogue.values():
            by_level[requirement.level.value][self.status(requirement.id)] += 1
        defects = sum(self.is_defect(r, strict_docs) for r in self.catalogue.values())
        doc_gaps = sum(is_doc_gap(r.level, self.status(r.id)) for r in self.catalogue.values())
        covered = sum(self.status(r) in ("pass", "fail") for r in self.catalogue)
        verdict = "incomplete" if incomplete else "non-conformant" if defects else "conformant"
        return {
            "verdict": verdict,
            "incomplete": incomplete,
            "defects": defects,
            "doc_gaps": doc_gaps,
            "by_level": by_level,
            "requirements": len(self.catalogue),
            "covered": covered,
        }

"""Which documented reads may be sent to a live slskd: the APIs' `reads` decisions.

A read-only run must be free of side effects, but some of slskd's GETs are not: one writes a
memory dump, one checks for updates over the internet, some hand out the configuration's
secrets, some reach out to the Soulseek server or a peer. Each documented read checked
generically has a decision with its reason and source in its API's reads file; an unsafe
read, or one without a decision, is sent only to a disposable target (the embedded server).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from conformance.data.yaml_files import read_yaml

SAFE, UNSAFE = "safe", "unsafe"
UNDECIDED = "no decision in the APIs' reads: lists, so it is treated as unsafe"


@dataclass(frozen=True)
class ReadDecision:
    operation: str  # e.g. "GET /application/dump"
    safe: bool
    reason: str
    source: str


def reads_paths() -> tuple[Path, ...]:
    """The reads files of the installed APIs."""
    from conformance.apis import installed  # at call time: the APIs import the engine

    return tuple(path for api in installed() if (path := api.file(api.reads)) is not None)


def read_decisions(paths: Iterable[Path] | None = None) -> dict[str, ReadDecision]:
    return _decisions(reads_paths() if paths is None else tuple(paths))


@cache
def _decisions(paths: tuple[Path, ...]) -> dict[str, ReadDecision]:
    decisions = {}
    for path in paths:
        for raw in read_yaml(path)["reads"]:
            if raw["decision"] not in (SAFE, UNSAFE):
                raise ValueError(
                    f"{raw['operation']}: a decision is {SAFE} or {UNSAFE}, not {raw['decision']}"
                )
            decisions[raw["operation"]] = ReadDecision(
                raw["operation"], raw["decision"] == SAFE, raw["reason"], raw["source"]
            )
    return decisions


def why_unsafe(operation: str) -> str | None:
    """None when `operation` may be sent to a live target, else the reason it may not."""
    decision = read_decisions().get(operation)
    if decision is None:
        return UNDECIDED
    return None if decision.safe else decision.reason

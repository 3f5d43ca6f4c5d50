"""Which documented reads may be sent to a live slskd: the `reads:` decisions of the catalogue.

A read-only run must be free of side effects, but some of slskd's GETs are not: one writes a
memory dump, one checks for updates over the internet, some hand out the configuration's
secrets, some reach out to the Soulseek server or a peer. Each documented read outside
Conversations has a decision with its reason and source in `catalogue.yaml`; an unsafe read,
or one without a decision, is sent only to a disposable target (the embedded server).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from conformance.data.yaml_files import read_yaml
from conformance.requirements.catalogue import CATALOGUE_PATH

SAFE, UNSAFE = "safe", "unsafe"
UNDECIDED = "no decision in the catalogue's reads: list, so it is treated as unsafe"


@dataclass(frozen=True)
class ReadDecision:
    operation: str  # e.g. "GET /application/dump"
    safe: bool
    reason: str
    source: str


@cache
def read_decisions(path: Path = CATALOGUE_PATH) -> dict[str, ReadDecision]:
    data = read_yaml(path)
    decisions = {}
    for raw in data["reads"]:
        if raw["decision"] not in (SAFE, UNSAFE):
            raise ValueError(f"{raw['operation']}: a decision is {SAFE} or {UNSAFE}, not {raw['decision']}")
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

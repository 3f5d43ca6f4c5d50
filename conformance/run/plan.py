"""Step 1: what the run tests, fixed before any request is sent.

The suite's modules read the plan at import (Schemathesis parametrizes at collection), so it
holds only what the configuration determines: the spec under test, the merged whole-API spec,
the requirement catalogue and which generic reads are sent. Nothing here touches the target.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from conformance.cli.config import RunConfig
from conformance.requirements.catalogue import Requirement, load_catalogue
from conformance.requirements.operations import (
    merged_spec_path,
    operation_requirements,
    read_operations,
    requirement_id,
)
from conformance.requirements.reads import why_unsafe
from conformance.transport.policy import Profile


@dataclass(frozen=True)
class Plan:
    config: RunConfig
    spec: dict[str, Any]  # the spec under test (--spec)
    merged_spec: dict[str, Any] | None  # every docs page, for the generic read checks; None if absent
    catalogue: dict[str, Requirement]  # the catalogue plus one requirement per merged-spec operation
    reads: frozenset[str] = frozenset()  # labels of the generic reads this run sends
    unsent_reads: dict[str, str] = field(default_factory=dict)  # requirement → why its read is not sent


def load_plan(config: RunConfig) -> Plan:
    merged = merged_spec_path(config.spec)
    merged_spec = json.loads(merged.read_text(encoding="utf-8")) if merged.is_file() else None
    catalogue = load_catalogue() | (operation_requirements(merged_spec) if merged_spec else {})
    spec = json.loads(config.spec.read_text(encoding="utf-8"))
    reads, unsent = _generic_reads(config, merged_spec or {"paths": {}})
    return Plan(config, spec, merged_spec, catalogue, reads, unsent)


def _generic_reads(config: RunConfig, merged_spec: dict[str, Any]) -> tuple[frozenset[str], dict[str, str]]:
    """The reads a live target may get: those the catalogue's `reads:` decides are safe.

    Reads with path parameters need ids that exist on the target, which generated ones do
    not: a live target gets them only under the full profile.
    """
    careful = config.target_url is not None and config.profile is not Profile.FULL
    sent, unsent = set(), {}
    for path, label, operation in read_operations(merged_spec):
        unsafe = None if config.disposable_target else why_unsafe(label)
        if unsafe is not None:
            unsent.setdefault(requirement_id(operation["operationId"]), f"not sent to a live slskd: {unsafe}")
        elif config.disposable_target or not (careful and "{" in path):
            sent.add(label)
    return frozenset(sent), unsent

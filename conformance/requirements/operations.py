"""One generic requirement per documented read that no API checks behaviourally.

The whole documented API (14 pages, 76 operations) is checked generically: each read
operation must answer a documented status with a body that matches its documented model.
These requirements are derived from the merged spec rather than written by hand, so a new
docs page brings its operations in without code; an API that is checked behaviourally claims
its pages' tags (`conformance.apis`) and keeps its own catalogue.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from conformance.data.resources import MERGED_SPEC
from conformance.requirements.catalogue import Level, Requirement


def requirement_id(operation_id: str) -> str:
    return "API-OP-" + re.sub(r"[^A-Z0-9]+", "-", operation_id.upper()).strip("-")


def read_operations(
    spec: dict[str, Any], claimed: Iterable[str] | None = None
) -> list[tuple[str, str, dict[str, Any]]]:
    """(path, label, operation) of every documented GET whose tag no API claims (`claimed`:
    the tags checked behaviourally; default, those of the installed APIs)."""
    if claimed is None:
        from conformance.apis import claimed_tags  # at call time: the APIs import the engine

        claimed = claimed_tags()
    taken = frozenset(claimed)
    return [
        (path, f"GET {path}", item["get"])
        for path, item in spec["paths"].items()
        if "get" in item and not taken & set(item["get"].get("tags", []))
    ]


def operation_requirements(spec: dict[str, Any]) -> dict[str, Requirement]:
    requirements = {}
    for _path, label, operation in read_operations(spec):
        rid = requirement_id(operation["operationId"])
        requirements[rid] = Requirement(
            id=rid,
            level=Level.MUST,
            statement=f"{label} answers a documented status with a body that matches its documented schema.",
            operations=(label,),
            source=f"docs: {operation.get('x-docs-source', operation['operationId'])}",
            tag=operation.get("tags", ["API"])[0],
        )
    return requirements


def merged_spec_path(spec: Path) -> Path:
    """The merged spec lives beside the spec under test."""
    return spec.with_name(MERGED_SPEC.name)

"""One generic requirement per documented operation outside Conversations.

The whole documented API (14 pages, 76 operations) is checked generically: each read
operation must answer a documented status with a body that matches its documented model.
These requirements are derived from the merged spec rather than written by hand, so a new
docs page brings its operations in without code; Conversations keeps its own catalogue.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from conformance.data.resources import MERGED_SPEC
from conformance.requirements.catalogue import Level, Requirement

CONVERSATIONS = "Conversations"


def requirement_id(operation_id: str) -> str:
    return "API-OP-" + re.sub(r"[^A-Z0-9]+", "-", operation_id.upper()).strip("-")


def read_operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(path, label, operation) of every documented GET outside Conversations."""
    return [
        (path, f"GET {path}", item["get"])
        for path, item in spec["paths"].items()
        if "get" in item and CONVERSATIONS not in item["get"].get("tags", [])
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


def merged_spec_path(conversations_spec: Path) -> Path:
    """The merged spec lives beside the Conversations spec."""
    return conversations_spec.with_name(MERGED_SPEC.name)

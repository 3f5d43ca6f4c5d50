"""Reading back what the overlay changed, from the generated spec alone.

The generator marks everything the overlay adds or corrects with `x-overlay`
({reason, source}); the run reads those markers instead of the overlay file, so a
spec carries its own account of where it departs from the docs, and a report made from
any spec can list those departures.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

MARKER = "x-overlay"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def _pointer(parts: list[str]) -> str:
    return "/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def _marked(node: Any, parts: list[str]) -> Iterator[tuple[list[str], dict[str, Any]]]:
    if isinstance(node, dict):
        marker = node.get(MARKER)
        if isinstance(marker, dict):
            yield parts, marker
        for key, child in node.items():
            if key != MARKER:
                yield from _marked(child, [*parts, str(key)])
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from _marked(child, [*parts, str(index)])


def overlay_entries(spec: dict[str, Any]) -> list[dict[str, str]]:
    """Every place the overlay touched: JSON pointer, why, and on what authority."""
    return [
        {
            "target": _pointer(parts),
            "reason": str(marker.get("reason", "")),
            "source": str(marker.get("source", "")),
        }
        for parts, marker in _marked(spec, [])
    ]


def overlay_statuses(spec: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Operation label ('GET /conversations') → {status: reason} for statuses only the overlay documents."""
    statuses: dict[str, dict[str, str]] = {}
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict):
                continue
            for code, response in operation.get("responses", {}).items():
                marker = response.get(MARKER) if isinstance(response, dict) else None
                if isinstance(marker, dict):
                    statuses.setdefault(f"{method.upper()} {path}", {})[str(code)] = str(
                        marker.get("reason", "")
                    )
    return statuses

"""Reading back what the overlay changed, from the generated spec alone.

The generator lists the overlay at the spec's root (`x-overlay-entries`) and marks every
node an entry touched with `x-overlay` ({reason, source}); the run reads these instead of
the overlay file, so a spec carries its own account of where it departs from the docs.
"""

from __future__ import annotations

from typing import Any

MARKER = "x-overlay"  # on each node an entry touched
ENTRIES = "x-overlay-entries"  # at the root: the whole overlay, in order
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def overlay_entries(spec: dict[str, Any]) -> list[dict[str, str]]:
    """Every overlay entry the spec was built with: target (JSON pointer), reason, source."""
    return list(spec.get(ENTRIES, []))


def overlay_statuses(spec: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Operation label ('GET /application') → {status: reason} for statuses only the overlay documents."""
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

"""GitHub Actions workflow commands from a results.json: defects as errors, gaps as warnings.

A CI gate should fail on defects yet still show documentation gaps to whoever reads the
job; annotations put both on the run's summary page without failing the job for gaps.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from conformance.reporting.view import defects, doc_gaps, first_message


def _escape(text: str) -> str:
    """Workflow-command escaping: the message may not hold raw %, CR or LF."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github_annotations(results: Mapping[str, Any]) -> list[str]:
    lines = [
        f"::error title={r['id']} ({r['level']})::{_escape(first_message(r) or r['statement'])}"
        for r in defects(results)
    ]
    lines += [
        f"::warning title={r['id']} (documentation gap)::{_escape(first_message(r) or r['statement'])}"
        for r in doc_gaps(results)
        if r not in defects(results)
    ]
    return lines

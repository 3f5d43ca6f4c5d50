"""A failed requirement as one block of terminal text: what was required, what came back, curl.

pytest would show a failure from a generated case as fifty lines of traceback through
Schemathesis and Hypothesis; the person reading it needs four things instead: the
requirement (and its level), the request that broke it with the answer it got, a body
excerpt, and curl lines that replay the sequence. The block is built from the same
redacted evidence the reports show, so the terminal and the HTML agree.
"""

from __future__ import annotations

from typing import Any

from conformance.reporting.text import shorten
from conformance.requirements.catalogue import Requirement
from conformance.requirements.judge import failed_is_defect

BODY_EXCERPT = 160  # characters of the failing response's body
CURL_LINES = 8  # the tail of a longer sequence; the HTML report has all of it


def failure_block(requirement: Requirement, evidence: dict[str, Any]) -> str:
    """The block for `requirement`'s newest failure (`evidence` as the recorder keeps it)."""
    lines = [f"{requirement.id} ({requirement.level.value}): {requirement.statement}"]
    lines.append(f"  failed:   {shorten(evidence['message'], 300)}")
    exchanges = evidence["exchanges"]
    if exchanges:
        lines.append(f"  answer:   {_answer(exchanges[-1])}")
    curl = evidence["curl"]
    if curl:
        shown = curl[-CURL_LINES:]
        count = len(curl)
        title = "the request" if count == 1 else f"the sequence ({count} requests, the last one failed)"
        lines.append(f"  reproduce {title}:")
        if count > len(shown):
            lines.append(f"    # … {count - len(shown)} earlier requests: see the HTML report")
        lines += [f"    {line}" for line in shown]
    return "\n".join(lines)


def _answer(exchange: dict[str, Any]) -> str:
    """`500 "Sequence contains more than one element."` / `200 (empty body)` / the transport error."""
    request, response = exchange["request"], exchange["response"]
    where = f"{request['method']} {request['url']}"
    if response is None:
        return f"{where} → no response: {exchange['error'] or 'unknown error'}"
    body = response["body"]
    excerpt = shorten(body, BODY_EXCERPT) if body else "(empty body)"
    return f"{where} → {response['status']} {excerpt}"


def failure_blocks(
    catalogue: dict[str, Requirement], newest: dict[str, dict[str, Any]], strict_docs: bool
) -> str:
    """One block per defect among `newest` (requirement → evidence), in catalogue order."""
    return "\n\n".join(
        failure_block(requirement, newest[requirement.id])
        for requirement in catalogue.values()
        if requirement.id in newest and failed_is_defect(requirement.level, strict_docs)
    )

"""Checks of one response that Schemathesis cannot know about: slskd's JSON conventions.

Each function looks at one property of a response and records a verdict for one
requirement; `check_response` runs them all and returns the defects it found, so the
generated tests, the probes and the state machine judge responses the same way.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import jsonschema
import requests

from conformance.checks.context import SuiteContext
from conformance.requirements.catalogue import Level
from conformance.transport.diagnosis import json_body

DIRECTIONS = frozenset({"In", "Out"})


def walk(value: Any, key: str | None = None) -> Iterator[tuple[str | None, Any]]:
    """Every (property name, value) pair in a JSON document, depth first."""
    yield key, value
    if isinstance(value, dict):
        for name, child in value.items():
            yield from walk(child, name)
    elif isinstance(value, list):
        for child in value:
            yield from walk(child, key)


def is_utc_timestamp(text: Any) -> bool:
    """ISO-8601 date-time with an explicit zone; slskd writes up to 7 fractional digits."""
    if not isinstance(text, str) or "T" not in text:
        return False
    if not (text.endswith("Z") or text[-6] in "+-"):
        return False
    date, _, clock = text.rstrip("Z").partition("T")
    if "." in clock:
        whole, _, rest = clock.partition(".")
        digits = rest[: len(rest) - len(rest.lstrip("0123456789"))]
        clock = f"{whole}.{digits[:6].ljust(6, '0')}{rest[len(digits) :]}" if digits else clock
    try:
        parsed = datetime.fromisoformat(f"{date}T{clock}" + ("+00:00" if text.endswith("Z") else ""))
    except ValueError:
        return False
    return parsed.tzinfo is not None


def _method(label: str) -> str:
    return label.split(" ", 1)[0]


def documented_schema(spec: dict[str, Any], label: str, status: int) -> dict[str, Any] | None:
    """The JSON Schema the spec documents for `label`'s `status` answer, refs resolvable."""
    method, path = label.split(" ", 1)
    response = (
        spec.get("paths", {}).get(path, {}).get(method.lower(), {}).get("responses", {}).get(str(status))
    )
    schema = ((response or {}).get("content") or {}).get("application/json", {}).get("schema")
    return None if schema is None else {**schema, "components": spec.get("components", {})}


def schema_problem(spec: dict[str, Any], label: str, status: int, body: Any) -> str | None:
    """Why `body` does not match the documented model (None: it matches, or nothing is documented)."""
    schema = documented_schema(spec, label, status)
    if schema is None:
        return None
    error = jsonschema.exceptions.best_match(jsonschema.Draft7Validator(schema).iter_errors(body))
    if error is None:
        return None
    where = "/".join(map(str, error.absolute_path)) or "the body"
    return f"{label} {status}: {where}: {error.message}"


def check_response(ctx: SuiteContext, label: str, response: requests.Response) -> list[str]:
    """Record slskd's per-response conventions for `response`; return the defects found."""
    body = json_body(response)
    pairs = list(walk(body)) if body is not None else []
    status = response.status_code
    verdicts: dict[str, tuple[bool, str]] = {}

    if body is not None and 200 <= status < 300 and ctx.spec:
        problem = schema_problem(ctx.spec, label, status, body)
        verdicts["API-RESPONSE-SCHEMA"] = (problem is None, problem or "")
    if body is not None:
        nulls = [name for name, value in pairs if value is None and name is not None]
        verdicts["API-NO-NULLS"] = (not nulls, f"null written for {sorted(set(nulls))}")
        stamps = [value for name, value in pairs if name == "timestamp"]
        if stamps:
            bad = [s for s in stamps if not is_utc_timestamp(s)]
            verdicts["API-TIMESTAMP-UTC"] = (not bad, f"timestamps without a UTC zone: {bad[:3]}")
        directions = [value for name, value in pairs if name == "direction"]
        if directions:
            bad = [d for d in directions if d not in DIRECTIONS]
            verdicts["API-ENUM-STRINGS"] = (not bad, f"directions outside In/Out: {bad[:3]}")
    if 400 <= status < 500:
        verdicts["API-EMPTY-ERROR-BODY"] = (
            not response.content,
            f"{status} answered with a body: {response.text[:200]!r}",
        )
    if _method(label) != "GET" and 200 <= status < 300:
        verdicts["API-EMPTY-WRITE-BODY"] = (
            not response.content,
            f"{status} answered with a body: {response.text[:200]!r}",
        )
    overlay_only = ctx.overlay_statuses.get(label, {})
    if str(status) in overlay_only:
        verdicts["DOCGAP-OVERLAY-STATUS"] = (False, f"{label} answered {status}: {overlay_only[str(status)]}")

    defects = []
    for requirement, (ok, message) in verdicts.items():
        if not ctx.applies(requirement):
            continue
        ctx.record(requirement, ok, "" if ok else message, check="response")
        if not ok and ctx.catalogue[requirement].level is not Level.INFO:
            defects.append(requirement)
    return defects

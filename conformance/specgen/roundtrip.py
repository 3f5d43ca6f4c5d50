"""How much of the original OpenAPI file the Markdown docs let us recover.

The docs were generated from an OpenAPI file (`openapi.yaml` of crmne/slskd-python-client@1a9c1fb);
comparing our spec, built from the docs alone, with that file measures the parser per
category and names every fact the Markdown format cannot carry.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Facts = dict[tuple[str, ...], Any]
METHODS = ("get", "put", "post", "delete", "patch")


def _operations(spec: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (path, method): operation
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }


def _shape(schema: dict[str, Any] | None) -> str:
    """A schema's type in one word: `integer`, `array<Transfer>`, `Transfer`, `object<string>` …"""
    if not schema:
        return "none"
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[1]
    if schema.get("type") == "array":
        return f"array<{_shape(schema.get('items'))}>"
    if schema.get("type") == "object" and isinstance(schema.get("additionalProperties"), dict):
        return f"object<{_shape(schema['additionalProperties'])}>"
    return str(schema.get("type", "any"))


def _parameters(spec: dict[str, Any]) -> Facts:
    facts: Facts = {}
    for (path, method), operation in _operations(spec).items():
        for parameter in operation.get("parameters", []):
            schema = parameter.get("schema", {})
            facts[(path, method, parameter["in"], parameter["name"])] = (
                _shape(schema),
                bool(parameter.get("required")),
                schema.get("default"),
            )
    return facts


def _bodies(spec: dict[str, Any]) -> Facts:
    facts: Facts = {}
    for key, operation in _operations(spec).items():
        body = operation.get("requestBody")
        if body:
            content = body.get("content", {})
            schema = (content.get("application/json") or next(iter(content.values()), {})).get("schema")
            facts[key] = (_shape(schema), bool(body.get("required")))
    return facts


def _statuses(spec: dict[str, Any]) -> Facts:
    return {
        (*key, status): True for key, op in _operations(spec).items() for status in op.get("responses", {})
    }


def _properties(spec: dict[str, Any]) -> Facts:
    facts: Facts = {}
    for name, schema in spec.get("components", {}).get("schemas", {}).items():
        if "enum" in schema:
            facts[(name, "enum")] = tuple(schema["enum"])
        for prop, value in schema.get("properties", {}).items():
            facts[(name, prop)] = _shape(value)
    return facts


CATEGORIES: dict[str, Callable[[dict[str, Any]], Facts]] = {
    "paths": lambda spec: {(path,): True for path in spec["paths"]},
    "operations": lambda spec: {key: True for key in _operations(spec)},
    "parameters": _parameters,
    "request bodies": _bodies,
    "status codes": _statuses,
    "schema properties": _properties,
}


def compare_category(generated: Facts, upstream: Facts) -> tuple[int, int, list[str]]:
    """(matched, total, differences): total counts every fact on either side."""
    keys = sorted(set(generated) | set(upstream), key=str)
    differences = []
    for key in keys:
        ours, theirs = generated.get(key, "missing"), upstream.get(key, "missing")
        if ours != theirs:
            differences.append(f"{' '.join(map(str, key))}: generated {ours!r}, upstream {theirs!r}")
    return len(keys) - len(differences), len(keys), differences


def round_trip_report(
    generated: dict[str, Any], upstream: dict[str, Any]
) -> dict[str, tuple[int, int, list[str]]]:
    return {name: compare_category(facts(generated), facts(upstream)) for name, facts in CATEGORIES.items()}


def report_lines(report: dict[str, tuple[int, int, list[str]]]) -> list[str]:
    lines = [f"{'category':<18} {'matched':>8} {'total':>6} {'rate':>7}"]
    for name, (matched, total, _) in report.items():
        lines.append(f"{name:<18} {matched:>8} {total:>6} {100 * matched / max(total, 1):>6.1f}%")
    return lines

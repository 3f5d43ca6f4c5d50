"""The generator's type expressions (`List[Directory]`, `Dict[str, int]`, `datetime`)
as JSON Schema, and Python's snake_case names as slskd's camelCase JSON names."""

from __future__ import annotations

import keyword
from typing import Any

PRIMITIVES: dict[str, dict[str, Any]] = {
    "str": {"type": "string"},
    "int": {"type": "integer", "format": "int32"},
    "float": {"type": "number", "format": "double"},
    "bool": {"type": "boolean"},
    "datetime": {"type": "string", "format": "date-time"},
    "date": {"type": "string", "format": "date"},
    "object": {"type": "object"},
    "bytearray": {"type": "string", "format": "byte"},
}


def camel_case(snake: str) -> str:
    """`is_active` → `isActive`; the Python client's `var_` escape of keywords is undone."""
    if snake.startswith("var_") and keyword.iskeyword(snake[4:]):
        snake = snake[4:]
    head, *rest = snake.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def schema_for(expression: str) -> dict[str, Any]:
    """JSON Schema of a type expression; model names become component references."""
    expression = expression.strip()
    if expression.startswith("List[") and expression.endswith("]"):
        return {"type": "array", "items": schema_for(expression[5:-1])}
    if expression.startswith("Dict[") and expression.endswith("]"):
        _key, _, value = expression[5:-1].partition(",")
        return {"type": "object", "additionalProperties": schema_for(value)}
    if expression in PRIMITIVES:
        return dict(PRIMITIVES[expression])
    return {"$ref": f"#/components/schemas/{expression}"}


def referenced_models(schema: Any) -> set[str]:
    """Names of the component schemas a schema refers to (not transitively)."""
    if isinstance(schema, dict):
        found = set()
        reference = schema.get("$ref")
        if isinstance(reference, str) and reference.startswith("#/components/schemas/"):
            found.add(reference.rsplit("/", 1)[1])
        for value in schema.values():
            found |= referenced_models(value)
        return found
    if isinstance(schema, list):
        return set().union(*(referenced_models(item) for item in schema)) if schema else set()
    return set()


def parse_default(value: str, schema: dict[str, Any]) -> Any:
    """A `[default to X]` note as a JSON value of the parameter's type."""
    kind = schema.get("type")
    if kind == "boolean":
        return value.strip().lower() == "true"
    if kind == "integer":
        return int(value)
    if kind == "number":
        return float(value)
    return value.strip().strip("'\"")

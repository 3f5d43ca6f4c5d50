"""Reading openapi-generator's Markdown model pages into component schemas.

Model pages name properties the Python way (snake_case); slskd writes camelCase JSON, so
each name is converted. An enum's page lists no values (the generator leaves its table
empty): such a model becomes a plain string here, and the overlay supplies the values
where we know them.
"""

from __future__ import annotations

import re
from typing import Any

from conformance.specgen.types import camel_case, schema_for

TITLE = re.compile(r"^# (?P<name>\w+)\s*$", re.MULTILINE)
PROPERTY_ROW = re.compile(
    r"^\*\*(?P<name>\w+)\*\* \| (?P<type>[^|]+)\| ?(?P<description>[^|]*)\| ?(?P<notes>.*)$"
)
TYPE_CELL = re.compile(r"^\[?\*\*(?P<type>[^*]+)\*\*")


def parse_model_page(text: str) -> tuple[str, dict[str, Any]]:
    """The model's name and its JSON Schema."""
    title = TITLE.search(text)
    if title is None:
        raise ValueError("a model page starts with '# Name'")
    name = title["name"]
    head = text[title.end() :].split("## Properties", 1)
    description = head[0].strip()
    properties: dict[str, Any] = {}
    required: list[str] = []
    for line in (head[1] if len(head) > 1 else "").split("## Example", 1)[0].splitlines():
        row = PROPERTY_ROW.match(line.strip())
        if not row or row["name"] == "Name":
            continue
        json_name = camel_case(row["name"])
        type_match = TYPE_CELL.match(row["type"].strip())
        schema = schema_for(type_match["type"] if type_match else row["type"].strip())
        if row["description"].strip():
            schema = {**schema, "description": row["description"].strip()}
        if "[readonly]" in row["notes"]:
            schema = {**schema, "readOnly": True}
        if "[optional]" not in row["notes"]:
            required.append(json_name)
        properties[json_name] = schema
    if not properties:
        schema = {"type": "string", "x-docs-gap": "the docs page lists no values for this enum"}
    else:
        schema = {"type": "object", "properties": properties}
        if required:
            schema["required"] = required
    if description:
        schema["description"] = description
    return name, schema

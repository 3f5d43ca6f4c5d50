"""Reading openapi-generator's Markdown API pages (`*Api.md`) into operations.

The pages are the only contract slskd's API has in writing; this parser reads what the
generator writes for any API page (endpoint table, one `# **operation_id**` section per
operation with its parameter table, return type, request headers and response table), so
the spec can be regenerated from the docs whenever they change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from conformance.specgen.types import camel_case

ENDPOINT_ROW = re.compile(
    r"^\[\*\*(?P<id>\w+)\*\*\]\([^)]*\) \| \*\*(?P<method>[A-Z]+)\*\* (?P<path>\S+) \| ?(?P<summary>.*)$"
)
SECTION = re.compile(r"^# \*\*(?P<id>\w+)\*\*\s*$", re.MULTILINE)
PARAMETER_ROW = re.compile(
    r"^\s*\*\*(?P<name>\w+)\*\* \| (?P<type>[^|]+)\| ?(?P<description>[^|]*)\| ?(?P<notes>.*)$"
)
RESPONSE_ROW = re.compile(r"^\*\*(?P<status>\d{3})\*\* \| (?P<description>[^|]*)\|")
TYPE_CELL = re.compile(r"^\[?\*\*(?P<type>[^*]+)\*\*")
DEFAULT = re.compile(r"\[default to (?P<value>[^\]]*)\]")
HEADER = re.compile(r"^ - \*\*(?P<name>Content-Type|Accept)\*\*: (?P<value>.+)$", re.MULTILINE)
PAGE_TITLE = re.compile(r"^# \w+\.(?P<name>\w+)Api\s*$", re.MULTILINE)


@dataclass
class Parameter:
    doc_name: str  # snake_case, as the Python client names it
    type: str  # the generator's type expression: str, int, List[X], Model …
    required: bool
    description: str = ""
    default: str | None = None


@dataclass
class Operation:
    operation_id: str
    method: str
    path: str
    tag: str
    page: str
    summary: str = ""
    description: str = ""
    parameters: list[Parameter] = field(default_factory=list)
    return_type: str | None = None  # None: void
    content_type: str | None = None
    accept: str | None = None
    responses: dict[str, str] = field(default_factory=dict)

    def path_names(self) -> dict[str, str]:
        """Doc parameter name → the `{name}` it fills in the path template."""
        names = re.findall(r"{(\w+)}", self.path)
        return {snake: name for name in names for snake in (name, _snake(name))}


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def _cell_type(cell: str) -> str:
    match = TYPE_CELL.match(cell.strip())
    return match.group("type") if match else cell.strip().strip("*")


def _notes(cell: str) -> tuple[bool, str | None]:
    default = DEFAULT.search(cell)
    return "[optional]" not in cell, default.group("value") if default else None


def _between(section: str, start: str, end: str = "\n### ") -> str:
    _, found, tail = section.partition(start)
    return tail.split(end, 1)[0] if found else ""


def parse_api_page(text: str, page: str) -> list[Operation]:
    """Every operation an API page documents, in the order of its endpoint table."""
    title = PAGE_TITLE.search(text)
    tag = title.group("name") if title else page.removesuffix("Api.md").removesuffix(".md")
    operations: dict[str, Operation] = {}
    for line in text.splitlines():
        row = ENDPOINT_ROW.match(line.strip())
        if row:
            operations[row["id"]] = Operation(
                row["id"], row["method"].lower(), row["path"], tag, page, summary=row["summary"].strip()
            )
    starts = list(SECTION.finditer(text))
    for index, start in enumerate(starts):
        end = starts[index + 1].start() if index + 1 < len(starts) else len(text)
        operation = operations.get(start["id"])
        if operation is not None:
            _read_section(operation, text[start.end() : end])
    return list(operations.values())


def _read_section(operation: Operation, section: str) -> None:
    lines = section.strip().splitlines()
    prose = [line for line in lines[1:] if line.strip()]  # lines[0] is the "> signature" line
    example = next((i for i, line in enumerate(prose) if line.startswith("### ")), len(prose))
    description = " ".join(prose[:example]).strip()
    if description and description != operation.summary:
        operation.description = description
    for line in _between(section, "### Parameters").splitlines():
        row = PARAMETER_ROW.match(line)
        if row and row["name"] != "Name":
            required, default = _notes(row["notes"])
            operation.parameters.append(
                Parameter(row["name"], _cell_type(row["type"]), required, row["description"].strip(), default)
            )
    returns = _between(section, "### Return type").strip()
    operation.return_type = None if not returns or returns.startswith("void") else _cell_type(returns)
    for header in HEADER.finditer(_between(section, "### HTTP request headers")):
        value = header["value"].strip()
        setattr(operation, "content_type" if header["name"] == "Content-Type" else "accept",
                None if value == "Not defined" else value)  # fmt: skip
    for line in _between(section, "### HTTP response details", "\n[[").splitlines():
        row = RESPONSE_ROW.match(line.strip())
        if row:
            operation.responses[row["status"]] = row["description"].strip()


def json_name(parameter: Parameter) -> str:
    """The name slskd binds: camelCase, as ASP.NET describes parameters."""
    return camel_case(parameter.doc_name)

"""The results.json contract, enforced: every view reads only documents that passed this gate.

Validating on write catches a producer bug before a broken file ships; validating on read
turns a hand-edited or foreign file into one readable sentence instead of a KeyError deep
inside a template.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonschema_rs

from conformance.errors import ConfigError
from conformance.reporting.text import shorten

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

SCHEMA_PATH = Path(__file__).with_name("results.schema.json")
SCHEMA_VERSION = "1.0"
PROBLEMS_SHOWN = 5


class ResultsFormatError(ConfigError):
    """A results document that is missing, unreadable or not schema version 1.0."""


@cache
def _schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@cache
def _compiled() -> jsonschema_rs.Validator:
    """Whether a document is valid, in a millisecond (jsonschema takes ~0.1 s on a run's)."""
    return jsonschema_rs.validator_for(_schema(), validate_formats=True)


@cache
def _validator() -> Draft202012Validator:
    """What is wrong with a document that is not valid, worded for a person: loaded only then."""
    from jsonschema import Draft202012Validator

    return Draft202012Validator(_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER)


def _valid(data: Any) -> bool:
    try:
        return _compiled().is_valid(data)
    except ValueError:  # a value jsonschema-rs cannot take (not JSON): the worded check decides
        return False


def _where(error: ValidationError) -> str:
    path = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.absolute_path)
    return path.lstrip(".") or "(top level)"


def _document_order(error: ValidationError) -> list[str]:
    return [f"{part:09d}" if isinstance(part, int) else part for part in error.absolute_path]


def problems(data: Any) -> list[str]:
    """Every way `data` breaks the contract, in document order, as 'where: what' lines."""
    if isinstance(data, dict) and "schema_version" in data and data["schema_version"] != SCHEMA_VERSION:
        version = data["schema_version"]
        return [f"schema_version {version!r} is not supported (this tool reads {SCHEMA_VERSION!r})"]
    errors = [] if _valid(data) else sorted(_validator().iter_errors(data), key=_document_order)
    found = [f"{_where(error)}: {shorten(error.message, 160)}" for error in errors]
    if not found:
        seen: set[str] = set()
        for index, requirement in enumerate(data["requirements"]):
            if requirement["id"] in seen:
                found.append(f"requirements[{index}].id: {requirement['id']!r} appears twice")
            seen.add(requirement["id"])
    return found


def validate_results(data: dict[str, Any]) -> None:
    """Raise `ResultsFormatError` naming the first problems when `data` is not a valid results document."""
    found = problems(data)
    if found:
        shown = "; ".join(found[:PROBLEMS_SHOWN])
        more = f" (and {len(found) - PROBLEMS_SHOWN} more)" if len(found) > PROBLEMS_SHOWN else ""
        raise ResultsFormatError(f"not a valid results document: {shown}{more}")


def load_results(path: Path) -> dict[str, Any]:
    """Read and validate a results.json; every failure is one line naming the file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ResultsFormatError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ResultsFormatError(f"{path}: cannot read: {error}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ResultsFormatError(f"{path}: not JSON: {error}") from None
    try:
        validate_results(data)
    except ResultsFormatError as error:
        raise ResultsFormatError(f"{path}: {error}") from None
    return data

"""The engine names no API: everything about one API comes from its package (`conformance.apis`).

The next APIs (Searches, Transfers, Users, Rooms) each get a package of their own; an engine
module that named one would be a place such a change has to reach into. The check is the
team's before-stop hook, word for word: any module, comment or docstring of the engine that
names an API by a whole word fails it. The checks (`conformance/checks/`) are held to the
same rule: what is in them is what every API's checks share (the probe, the data scenarios'
runner, the per-response checks, Schemathesis' mapping, the state machine's driver), and an
API's own checks are in its package.
"""

from __future__ import annotations

import ast
import importlib
import re
import subprocess
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "conformance"
ENGINE = ("run", "transport", "results", "reporting", "specgen", "requirements")
NEUTRAL = (*ENGINE, "checks")  # the engine and the checks every API shares
API_NAMES = re.compile(r"\b(conversations?|searches|transfers|downloads|rooms)\b", re.IGNORECASE)


def engine_modules() -> list[Path]:
    return sorted(path for folder in NEUTRAL for path in (PACKAGE / folder).rglob("*.py"))


def naming_an_api(path: Path, root: Path = PACKAGE.parent) -> list[str]:
    """'file:line: text' for each line of `path` that names an API."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [
        f"{path.relative_to(root)}:{number}: {line.strip()}"
        for number, line in enumerate(lines, 1)
        if API_NAMES.search(line)
    ]


@pytest.mark.parametrize("folder", NEUTRAL)
def test_every_engine_module_imports(folder: str) -> None:
    """What is checked is what runs: every engine module is importable as it stands."""
    for path in sorted((PACKAGE / folder).rglob("*.py")):
        module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        importlib.import_module(module.removesuffix(".__init__"))


def test_no_engine_module_names_an_api() -> None:
    assert [line for path in engine_modules() for line in naming_an_api(path)] == []


def test_the_engine_reaches_apis_only_through_the_registry_and_the_interface() -> None:
    """No engine module (nor a shared check, nor the reference server) imports an API's
    package: what it needs comes from `conformance.apis` and the types of its `interface`."""
    allowed = {"conformance.apis", "conformance.apis.interface"}
    folders = (*NEUTRAL, "reference")
    reaching = [
        f"{path.relative_to(PACKAGE.parent)} imports {module}"
        for folder in folders
        for path in sorted((PACKAGE / folder).rglob("*.py"))
        for module in imported(path)
        if module.startswith("conformance.apis") and module not in allowed
    ]
    assert reaching == []


def imported(path: Path) -> list[str]:
    """The modules `path` imports (`from x import y` counts as x)."""
    modules = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            modules.append(node.module)
        elif isinstance(node, ast.Import):
            modules += [alias.name for alias in node.names]
    return modules


def test_the_hook_agrees() -> None:
    """The before-stop hook (grep, whole words, case-insensitive) prints nothing either."""
    folders = [str(PACKAGE / folder) for folder in ENGINE]
    words = "conversations?|searches|transfers|downloads|rooms"
    hook = subprocess.run(
        ["grep", "-rilwE", words, "--include=*.py", *folders], capture_output=True, text=True, check=False
    )
    assert hook.stdout == ""


def test_the_check_sees_an_api_named_in_a_docstring(tmp_path: Path) -> None:
    """The check itself: a module naming an API anywhere, even in prose, is caught."""
    module = tmp_path / "engine.py"
    module.write_text('"""Closes the Conversations a run opened."""\nROOMS = ()\nroomservice = 1\n')
    assert [line.split(": ", 1)[1] for line in naming_an_api(module, tmp_path)] == [
        '"""Closes the Conversations a run opened."""',
        "ROOMS = ()",
    ]

"""The module boundaries docs/architecture.md draws, read from the imports themselves.

Each rule keeps one layer replaceable: the transport works from plain values, the views
from results.json alone, the configuration from any parser; only the plugin assembles a run.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "conformance"


def imports_of(path: Path) -> set[str]:
    """Every module `path` imports, absolute names (`from x import y` counts as x)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def offenders(files: list[Path], forbidden: tuple[str, ...]) -> list[str]:
    """'file imports module' for each import of a forbidden module or of anything inside one."""
    return [
        f"{path.relative_to(PACKAGE.parent)} imports {name}"
        for path in files
        for name in sorted(imports_of(path))
        if any(name == module or name.startswith(f"{module}.") for module in forbidden)
    ]


def modules(folder: str) -> list[Path]:
    return sorted((PACKAGE / folder).glob("*.py"))


def test_the_transport_takes_plain_values_not_the_run_or_its_configuration() -> None:
    forbidden = ("conformance.cli", "conformance.run")  # the front door: config, options, plugin
    assert offenders(modules("transport"), forbidden) == []


def test_report_views_read_results_json_without_the_transport_or_the_run() -> None:
    forbidden = ("conformance.transport", "conformance.run", "conformance.cli")
    assert offenders(modules("reporting"), forbidden) == []


def test_the_configuration_knows_no_command_line_parser() -> None:
    files = [PACKAGE / "cli" / "config.py", PACKAGE / "cli" / "option_values.py"]
    assert offenders(files, ("pytest", "_pytest", "argparse")) == []


def test_only_the_plugin_assembles_a_run() -> None:
    outside = [p for p in sorted(PACKAGE.rglob("*.py")) if "run" not in p.relative_to(PACKAGE).parts[:1]]
    importers = {str(p.relative_to(PACKAGE)) for p in outside if offenders([p], ("conformance.run",))}
    assert importers == {"cli/plugin.py"}

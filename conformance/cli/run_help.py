"""`conformance run --help`: our options first and alone; pytest's full help one flag away.

pytest's own help is some 470 lines with ours buried at line 188. A person asking
`conformance run --help` wants to know how to point the checker at a server and make it
safe; the pytest options that also work (`-k`, `-x`, `--junitxml` …) are one flag away,
`--help-pytest`.
"""

from __future__ import annotations

import textwrap
from typing import Any

from conformance.cli.options import add_options

HELP_PYTEST = "--help-pytest"
HEADER = """usage: conformance run [options] [pytest options]

Run the slskd conformance suite: against the embedded reference server by default, or
against your slskd with --target-url (read-only, paced and budgeted unless told otherwise).
Every option can also come from the environment variable shown in brackets.
"""
FOOTER = f"""pytest options work too: -k EXPR (a requirement id such as CONV-ACK-ONE-404 selects the
tests that check it), -m CONV_ACK_ONE_404, -x, -q, --co, --junitxml FILE …
  {HELP_PYTEST:<30}pytest's full help
"""
WIDTH = 100
COLUMN = 32


class _Declarations:
    """Takes `add_options`' declarations in place of pytest's parser."""

    def __init__(self) -> None:
        self.options: list[tuple[str, dict[str, Any]]] = []

    def getgroup(self, *args: Any) -> _Declarations:
        return self

    def addoption(self, name: str, **kwargs: Any) -> None:
        self.options.append((name, kwargs))


def declared_options() -> list[tuple[str, dict[str, Any]]]:
    """Every option of a run as `add_options` declares it: (name, addoption keywords)."""
    declarations = _Declarations()
    add_options(declarations)  # type: ignore[arg-type]
    return declarations.options


def short_help() -> str:
    """Our options, argparse-style, from the same declarations pytest parses."""
    lines = [HEADER, "options:"]
    for name, kwargs in declared_options():
        usage = name if kwargs.get("action") == "store_true" else f"{name} {kwargs['metavar']}"
        text = textwrap.wrap(kwargs["help"], WIDTH - COLUMN)
        if len(usage) >= COLUMN - 2:
            lines.append(f"  {usage}")
            lines += [" " * COLUMN + line for line in text]
        else:
            lines.append(f"  {usage:<{COLUMN - 2}}{text[0]}")
            lines += [" " * COLUMN + line for line in text[1:]]
    return "\n".join([*lines, "", FOOTER])

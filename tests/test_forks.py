"""Mutant runs are forked from a server that has done the imports: each is still `conformance`
entered as the shell enters it, in a process of its own, its output and exit code its own."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from conformance import __version__
from conformance.mutation.forks import PRELOADED, conformance_process


def test_a_forked_command_answers_as_the_shell_s_does(tmp_path: Path) -> None:
    out, err = tmp_path / "out", tmp_path / "err"
    assert conformance_process(["--version"], out, err) == 0
    assert out.read_text(encoding="utf-8").startswith(f"slskd-conformance {__version__}\n")
    assert conformance_process(["no-such-command"], out, err) == 2
    assert out.read_text(encoding="utf-8") == ""
    assert err.read_text(encoding="utf-8") == (
        "conformance: unknown command 'no-such-command' (conformance --help lists them)\n"
    )


def test_every_preloaded_module_exists() -> None:
    """A module renamed away would stop the server, and every mutant run with it: said here by name."""
    assert [name for name in PRELOADED if importlib.util.find_spec(name) is None] == []

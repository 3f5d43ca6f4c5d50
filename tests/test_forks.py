"""Mutant runs are forked from a server that has done the imports: each is still `conformance`
entered as the shell enters it, in a process of its own, its output and exit code its own."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from conformance import __version__
from conformance.mutation.forks import FRESH_PER_RUN, PRELOADED, conformance_process


def test_a_forked_command_answers_as_the_shell_s_does(tmp_path: Path) -> None:
    out, err = tmp_path / "out", tmp_path / "err"
    assert conformance_process(["--version"], out, err) == 0
    assert out.read_text(encoding="utf-8").startswith(f"slskd-conformance {__version__}\n")
    assert conformance_process(["no-such-command"], out, err) == 2
    assert out.read_text(encoding="utf-8") == ""
    assert err.read_text(encoding="utf-8") == (
        "conformance: unknown command 'no-such-command' (conformance --help lists them)\n"
    )


def test_a_forked_run_has_the_caller_s_environment_and_directory_of_the_moment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, err, run = tmp_path / "out", tmp_path / "err", ["run", f"--reports-dir={tmp_path}"]
    assert conformance_process(["--version"], out, err) == 0  # the server is up before the change
    monkeypatch.setenv("CONFORMANCE_STRICT_DOCS", "perhaps")
    assert conformance_process(run, out, err) == 2
    assert "CONFORMANCE_STRICT_DOCS must be true or false" in err.read_text(encoding="utf-8")
    monkeypatch.delenv("CONFORMANCE_STRICT_DOCS")
    assert conformance_process(run, out, err, {"CONFORMANCE_STRICT_DOCS": "perhaps"}) == 2
    monkeypatch.chdir(tmp_path)
    assert conformance_process(["run", "--co", "-q", "--junitxml=listed.xml"], out, err) == 0
    assert (tmp_path / "listed.xml").is_file(), "a relative path is the caller's working directory's"


def test_every_preloaded_module_exists() -> None:
    """A module renamed away would stop the server, and every mutant run with it: said here by name."""
    assert [name for name in PRELOADED if importlib.util.find_spec(name) is None] == []


def test_the_names_a_run_writes_are_not_drawn_once_for_every_fork() -> None:
    """The checks draw a nonce for their usernames when imported: the server must not import
    them, or every run forked from it would write the same names."""
    imports = "; ".join(f"import {name}" for name in PRELOADED)
    loaded = f"import sys; print([m for m in {list(FRESH_PER_RUN)!r} if m in sys.modules])"
    said = subprocess.run([sys.executable, "-c", f"{imports}; {loaded}"], capture_output=True, text=True)
    assert said.stdout == "[]\n", said.stderr

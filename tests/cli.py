"""`conformance run` as a user runs it: a subprocess, its output captured (not a terminal)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def conformance_run(
    reports: Path, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """`conformance run --reports-dir=REPORTS ARGS…` with `env` added to this environment, from
    `cwd` (default: this process's; `python -m` imports the checker from there first)."""
    return subprocess.run(
        [sys.executable, "-m", "conformance.cli", "run", f"--reports-dir={reports}", *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    )


def refused_in_one_line(code: int, captured: tuple[str, str], command: str) -> str:
    """What a command's `main` said when it refused its options: exit 2, nothing on stdout,
    one line on stderr starting with the command's name. Returns that line."""
    out, err = captured
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and err.startswith(f"{command}: "), err
    return err

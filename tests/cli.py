"""`conformance run` as a user runs it: a subprocess, its output captured (not a terminal)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def conformance_run(
    reports: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`conformance run --reports-dir=REPORTS ARGS…` with `env` added to this environment."""
    return subprocess.run(
        [sys.executable, "-m", "conformance.cli", "run", f"--reports-dir={reports}", *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, **(env or {})},
    )

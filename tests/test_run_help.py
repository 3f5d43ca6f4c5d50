"""`conformance run --help` leads with our options; pytest's full help is one flag away."""

from __future__ import annotations

import subprocess
import sys

from conformance.cli.run_help import HELP_PYTEST, declared_options


def run_help(flag: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "conformance.cli", "run", flag], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_help_is_ours_short_and_lists_every_option_with_its_variable() -> None:
    text = run_help("--help")
    assert text.startswith("usage: conformance run [options] [pytest options]")
    assert len(text.splitlines()) < 120
    for name, _ in declared_options():
        assert f"  {name}" in text
    assert "[env SLSKD_TARGET_URL]" in text and HELP_PYTEST in text
    assert "SLSKD_TARGET_URL]" in text and "--target-url=SLSKD_TARGET_URL" not in text


def test_pytest_s_full_help_is_one_flag_away() -> None:
    text = run_help(HELP_PYTEST)
    assert "-k EXPRESSION" in text and "--target-url=URL" in text


def test_run_version_is_the_tools_not_pytests() -> None:
    for flag in ("--version", "-V"):
        text = run_help(flag)
        assert text.startswith("slskd-conformance ") and "schemathesis" in text and "pytest" not in text

"""`conformance run`: the suite through pytest, with the exit codes this tool documents."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from conformance.errors import ExitCode

# Not imported from the plugin: `conformance run` must not load Hypothesis before pytest starts.
SUITE_DIR = Path(__file__).with_name("suite")
SUITE_PACKAGE = "conformance.suite"

# pytest's own codes → ours (0 conformant, 1 non-conformant, 2 usage, 3 target unusable).
# The plugin ends bad configurations with 2 and unusable targets with 3 itself (pytest.exit).
PYTEST_CODES = {
    pytest.ExitCode.OK: ExitCode.CONFORMANT,
    pytest.ExitCode.TESTS_FAILED: ExitCode.NON_CONFORMANT,
    pytest.ExitCode.USAGE_ERROR: ExitCode.USAGE,
    pytest.ExitCode.NO_TESTS_COLLECTED: ExitCode.USAGE,
}


def names_suite(args: Sequence[str], *, pyargs: bool) -> bool:
    """Whether a pytest command line selects the conformance suite: a path inside it, or its
    module name with --pyargs. Only such a run is a conformance run; any other pytest run
    (this repository's own tests, a user's project) must not start one."""
    for arg in args:
        target = arg.split("::")[0]
        if pyargs and (target == SUITE_PACKAGE or target.startswith(f"{SUITE_PACKAGE}.")):
            return True
        if Path(target).resolve().is_relative_to(SUITE_DIR):
            return True
    return False


def pytest_args(argv: list[str]) -> list[str]:
    """The suite, the plugin, and no assertion rewriting: pytest rewrites the asserts of every
    module of each distribution that registers a pytest plugin (Schemathesis, Hypothesis,
    anyio …), some 250 modules re-parsed and compiled on every run wherever the rewritten
    bytecode cannot be cached (PYTHONDONTWRITEBYTECODE, a read-only site-packages): about
    2 s of CPU before the first request. The suite's asserts carry their own messages."""
    return [str(SUITE_DIR), "-p", "conformance.plugin", "-p", "no:cacheprovider", "--assert=plain", *argv]


def run_suite(argv: list[str]) -> int:
    if any(arg in ("-h", "--help") for arg in argv):
        from conformance.run_help import short_help

        print(short_help())
        return ExitCode.CONFORMANT
    argv = ["--help" if arg == "--help-pytest" else arg for arg in argv]
    code = pytest.main(pytest_args(argv))
    return int(PYTEST_CODES.get(code, code))  # type: ignore[call-overload]

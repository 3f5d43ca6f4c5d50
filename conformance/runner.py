"""`conformance run`: the suite through pytest, with the exit codes this tool documents."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.errors import ExitCode

# Not imported from the plugin: importing it here would load Hypothesis before pytest can
# set up its assertion rewriting.
SUITE_DIR = Path(__file__).with_name("suite")

# pytest's own codes → ours (0 conformant, 1 non-conformant, 2 usage, 3 target unusable).
# The plugin ends bad configurations with 2 and unusable targets with 3 itself (pytest.exit).
PYTEST_CODES = {
    pytest.ExitCode.OK: ExitCode.CONFORMANT,
    pytest.ExitCode.TESTS_FAILED: ExitCode.NON_CONFORMANT,
    pytest.ExitCode.USAGE_ERROR: ExitCode.USAGE,
    pytest.ExitCode.NO_TESTS_COLLECTED: ExitCode.USAGE,
}


def pytest_args(argv: list[str]) -> list[str]:
    return [
        str(SUITE_DIR),
        "-p",
        "conformance.plugin",
        "-p",
        "no:cacheprovider",
        # Schemathesis is imported before pytest (`preload_schemathesis`): nothing to warn about.
        "-W",
        "ignore::pytest.PytestAssertRewriteWarning",
        *argv,
    ]


def preload_schemathesis() -> None:
    """Import Schemathesis (and Hypothesis) before pytest installs its assertion rewriter.

    pytest rewrites the asserts of every module of a distribution that registers a pytest
    plugin, and Schemathesis registers one: some 280 modules re-parsed and compiled on every
    run wherever the rewritten bytecode cannot be cached (PYTHONDONTWRITEBYTECODE, a
    read-only site-packages), about 2 s of CPU before the first request. Imported first,
    they load from their ordinary bytecode; their asserts are not ours to report."""
    import schemathesis  # noqa: F401


def run_suite(argv: list[str]) -> int:
    preload_schemathesis()
    code = pytest.main(pytest_args(argv))
    return int(PYTEST_CODES.get(code, code))  # type: ignore[call-overload]

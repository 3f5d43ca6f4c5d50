"""`conformance run`: the suite through pytest, with the exit codes this tool documents."""

from __future__ import annotations

import sys
from collections.abc import Generator, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

from conformance.errors import ExitCode

# Not imported from the plugin: `conformance run` must not load Hypothesis before pytest starts.
SUITE_DIR = Path(__file__).parents[1] / "suite"
SUITE_PACKAGE = "conformance.suite"

# The one map of exit codes. The plugin decides the code of every run it controls (0 to 4:
# the verdict, a bad option, an unusable target, a run cut short) and leaves it in the
# config's stash; pytest's own code says the rest, once told apart where it is ambiguous
# (its 2 is a Ctrl-C, its 3 a crash of the checker: see `PytestOutcome`).
DECIDED = pytest.StashKey[ExitCode]()
PYTEST_CODES = {
    pytest.ExitCode.OK: ExitCode.CONFORMANT,
    pytest.ExitCode.TESTS_FAILED: ExitCode.NON_CONFORMANT,
    pytest.ExitCode.INTERRUPTED: ExitCode.INCOMPLETE,
    pytest.ExitCode.INTERNAL_ERROR: ExitCode.INTERNAL,
    pytest.ExitCode.USAGE_ERROR: ExitCode.USAGE,
    pytest.ExitCode.NO_TESTS_COLLECTED: ExitCode.USAGE,
}


class PytestOutcome:
    """A pytest plugin that remembers what pytest's exit code cannot tell: who decided it."""

    def __init__(self) -> None:
        self.internal_error = False
        self.decided: ExitCode | None = None

    def pytest_internalerror(self) -> None:
        self.internal_error = True

    @pytest.hookimpl(wrapper=True)
    def pytest_cmdline_parse(self) -> Generator[None, pytest.Config, pytest.Config]:
        """An option pytest does not know, or a bad value for one of its own, is a usage error."""
        with _said_in_one_line():
            return (yield)

    @pytest.hookimpl(wrapper=True)
    def pytest_cmdline_main(self, config: pytest.Config) -> Generator[None, int | None, int | None]:
        """Around the whole run: afterwards, the plugin's decision (if any) is in the stash.
        A usage error pytest finds later (a bad -k, a path that does not exist) is one line too."""
        try:
            with _said_in_one_line():
                return (yield)
        finally:
            self.decided = config.stash.get(DECIDED, None)

    def exit_code(self, pytest_code: int) -> ExitCode:
        if self.internal_error:  # a crash is a crash, whatever was decided before it
            return ExitCode.INTERNAL
        if self.decided is not None:
            return self.decided
        return PYTEST_CODES.get(pytest_code, ExitCode.INTERNAL)  # type: ignore[call-overload]


@contextmanager
def _said_in_one_line() -> Iterator[None]:
    """pytest writes a usage error as `ERROR: ` + its argparse usage, the message and where its
    ini file is: here it is our one line instead, and pytest is left nothing to repeat."""
    try:
        yield
    except pytest.UsageError as error:
        text = "\n".join(str(arg) for arg in error.args)
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        said = next((line.split(": error: ", 1)[1] for line in lines if ": error: " in line), None)
        if said is not None:  # argparse's: the option is pytest's or unknown to both of us
            said += " (see conformance run --help, or --help-pytest for pytest's own)"
        sys.stderr.write(f"slskd-conformance: {said or (lines[0] if lines else 'usage error')}\n")
        raise pytest.UsageError() from None


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
    2 s of CPU before the first request. The suite's asserts carry their own messages. Nor
    pytest's unraisable-exception hook, which collects the garbage five times at exit so as to
    report what finalizers raised (0.4 s of every run); an exception nothing can catch, were
    there one, still reaches Python's own hook on stderr."""
    return [
        str(SUITE_DIR), "-p", "conformance.cli.plugin", "-p", "no:cacheprovider",
        "-p", "no:unraisableexception", "--assert=plain", *argv,
    ]  # fmt: skip


def run_suite(argv: list[str]) -> int:
    if any(arg in ("-h", "--help") for arg in argv):
        from conformance.cli.run_help import short_help

        print(short_help())
        return ExitCode.CONFORMANT
    if any(arg in ("-V", "--version") for arg in argv):  # ours, as `conformance --version` says it
        from conformance.cli.main import version_text

        print(version_text())
        return ExitCode.CONFORMANT
    argv = ["--help" if arg == "--help-pytest" else arg for arg in argv]
    outcome = PytestOutcome()
    return int(outcome.exit_code(pytest.main(pytest_args(argv), plugins=[outcome])))

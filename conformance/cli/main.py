"""The `conformance` command: one entry point, each subcommand delegating to its module."""

from __future__ import annotations

import gc
import importlib
import os
import signal
import sys
from collections.abc import Callable
from typing import NoReturn

from conformance import __version__
from conformance.errors import ConformanceError, ExitCode

USAGE = """usage: conformance COMMAND [options]
       conformance --version

commands:
  run       run the conformance suite (pytest options pass through; see --help)
  serve     start the embedded reference slskd server
  network   start a simulated Soulseek network (server + scripted peers) for slskd to log in to
  spec      regenerate the OpenAPI spec from the Markdown docs
  report    render index.html (and junit.xml) from a results.json
  compare   compare two results.json files; exit 1 on regressions
  requirements  list every requirement, its level and the checks that verify it
  mutants   run the suite against every mutant of the reference server; print the mutation score
  bench     benchmark the default run against plain Schemathesis and a raw requests loop
"""


# command → "module:function"; imported on use, so `conformance serve` never loads Schemathesis.
COMMANDS: dict[str, str] = {
    "run": "conformance.cli.runner:run_suite",
    "serve": "conformance.reference.command:main",
    "network": "conformance.network.command:main",
    "spec": "conformance.specgen.command:main",
    "report": "conformance.reporting.command:main",
    "compare": "conformance.reporting.command:compare_command",
    "requirements": "conformance.checks.command:main",
    "mutants": "conformance.mutation.command:main",
    "bench": "bench.command:main",  # the benchmark lives beside the package, in the repository
}


def _command(name: str) -> Callable[[list[str]], int]:
    module, _, function = COMMANDS[name].partition(":")
    return getattr(importlib.import_module(module), function)


def version_text() -> str:
    """What a bug report needs; read from metadata, so it answers without loading Schemathesis
    (importlib.metadata itself is a third of `conformance --help`'s imports: loaded here only)."""
    from importlib.metadata import version

    from conformance.data.resources import DOCS_ORIGIN

    return "\n".join(
        (
            f"slskd-conformance {__version__}",
            f"schemathesis {version('schemathesis')}",
            f"specs generated from the {DOCS_ORIGIN.describe()}",
        )
    )


def entry() -> NoReturn:
    """The `conformance` command (console script, `python -m conformance.cli`, a forked run):
    `main`, then the exit without the interpreter's last garbage collections. They walk every
    object a run made (0.5-0.8 s after a long run, most of the wait after Ctrl-C) to free what
    the exit frees anyway; with everything alive frozen they have nothing to walk. Exit handlers
    and flushes still run. (Here, not in `run.gc_settings`: `--help` imports nothing of a run.)"""
    code = main()
    gc.disable()
    gc.freeze()
    sys.exit(code)


def main(argv: list[str] | None = None) -> int:
    """Run one command; a reader that closed the pipe early (`… | head`) ends it quietly."""
    try:
        code = _dispatch(sys.argv[1:] if argv is None else argv)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's flush at exit
    except BrokenPipeError:
        # The shell's convention for a writer whose reader left: 128 + SIGPIPE, no traceback.
        # stdout is pointed at /dev/null, so the flush at exit cannot fail a second time.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + signal.SIGPIPE
    return code


def _dispatch(args: list[str]) -> int:
    if not args or args[0] in ("-h", "--help", "help"):
        print(USAGE)
        return ExitCode.CONFORMANT if args else ExitCode.USAGE
    if args[0] in ("-V", "--version"):
        print(version_text())
        return ExitCode.CONFORMANT
    if args[0] not in COMMANDS:
        print(f"conformance: unknown command {args[0]!r} (conformance --help lists them)", file=sys.stderr)
        return ExitCode.USAGE
    try:
        return _command(args[0])(args[1:])
    except ConformanceError as error:
        print(f"conformance {args[0]}: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("conformance: interrupted", file=sys.stderr)
        return 130

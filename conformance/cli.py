"""The `conformance` command: one entry point, each subcommand delegating to its module."""

from __future__ import annotations

import sys
from collections.abc import Callable

from conformance.errors import ConformanceError, ExitCode

USAGE = """usage: conformance COMMAND [options]

commands:
  run       run the conformance suite (pytest options pass through; see --help)
  serve     start the embedded reference slskd server
  spec      regenerate the OpenAPI spec from the Markdown docs
  report    render index.html (and junit.xml) from a results.json
  compare   compare two results.json files; exit 1 on regressions
  mutants   run the suite against every mutant of the reference server; print the mutation score
  bench     benchmark the default run against plain Schemathesis and a raw requests loop
"""


def _run(argv: list[str]) -> int:
    from conformance.runner import run_suite

    return run_suite(argv)


def _serve(argv: list[str]) -> int:
    from conformance.reference.command import main

    return main(argv)


def _spec(argv: list[str]) -> int:
    from conformance.specgen.command import main

    return main(argv)


def _report(argv: list[str]) -> int:
    from conformance.reporting.command import main

    return main(argv)


def _compare(argv: list[str]) -> int:
    from conformance.reporting.command import compare_command

    return compare_command(argv)


def _mutants(argv: list[str]) -> int:
    from conformance.mutation.command import main

    return main(argv)


def _bench(argv: list[str]) -> int:
    from bench.command import main  # the benchmark lives beside the package, in the repo

    return main(argv)


COMMANDS: dict[str, Callable[[list[str]], int]] = {
    "run": _run,
    "serve": _serve,
    "spec": _spec,
    "report": _report,
    "compare": _compare,
    "mutants": _mutants,
    "bench": _bench,
}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help", "help"):
        print(USAGE)
        return ExitCode.CONFORMANT if args else ExitCode.USAGE
    command = COMMANDS.get(args[0])
    if command is None:
        print(f"conformance: unknown command {args[0]!r}\n\n{USAGE}", file=sys.stderr)
        return ExitCode.USAGE
    try:
        return command(args[1:])
    except ConformanceError as error:
        print(f"conformance {args[0]}: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("conformance: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

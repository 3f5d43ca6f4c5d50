"""`conformance report` and `conformance compare`: the views, regenerated from results files.

A results.json outlives the run that wrote it (CI artifacts, bug reports); these commands
rebuild its human views without the target, and compare two of them.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from conformance.errors import ExitCode
from conformance.reporting.annotations import github_annotations
from conformance.reporting.compare import compare_main
from conformance.reporting.html import write_html
from conformance.reporting.junit import write_junit
from conformance.reporting.schema import load_results


def _parse(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace | int:
    """Parsed arguments, or the exit code argparse chose (0 for --help, 2 for a usage error)."""
    try:
        return parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="conformance report", description="Render index.html (and junit.xml) from a results.json."
    )
    parser.add_argument("results", type=Path, help="the run's results.json")
    parser.add_argument("-o", "--output", type=Path, help="HTML file (default: index.html beside RESULTS)")
    parser.add_argument("--junit", action="store_true", help="also write junit.xml beside the HTML file")
    parser.add_argument(
        "--github-annotations",
        action="store_true",
        help="also print defects as ::error and documentation gaps as ::warning (GitHub Actions)",
    )
    args = _parse(parser, argv)
    if isinstance(args, int):
        return args
    results = load_results(args.results)  # a ResultsFormatError is shown by the CLI as one line
    if args.github_annotations:
        print("\n".join(github_annotations(results)))
    html = write_html(results, args.output or args.results.parent / "index.html")
    print(f"wrote {html}")
    if args.junit:
        print(f"wrote {write_junit(results, html.parent / 'junit.xml')}")
    return ExitCode.CONFORMANT


def compare_command(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="conformance compare",
        description="Compare two results.json files; exit 1 when a requirement that passed now fails.",
    )
    parser.add_argument("old", type=Path, help="results.json of the earlier run")
    parser.add_argument("new", type=Path, help="results.json of the later run")
    parser.add_argument("-o", "--output", type=Path, help="folder to write compare.html to")
    args = _parse(parser, argv)
    if isinstance(args, int):
        return args
    return compare_main(args.old, args.new, args.output)

"""`conformance spec`: regenerate the specs from the Markdown docs and the overlay.

A new spec is written to `--out`, else to the working directory under the committed file's
name: never into the installed package, whose files a wheel install may not let anyone write
and a clone's tests read (regenerating the committed spec is `--out specs/<name>`).
`--check` compares with the committed (installed) spec, which only reads it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from conformance.data.resources import CONVERSATIONS_SPEC, DOCS_ORIGIN, DOCS_VARIABLE, MERGED_SPEC, OVERLAY
from conformance.data.yaml_files import read_yaml
from conformance.errors import ConfigError, ExitCode
from conformance.specgen.assemble import build_spec
from conformance.specgen.roundtrip import report_lines, round_trip_report


def render(document: dict[str, Any]) -> str:
    """Stable text: regenerating from the same docs gives the same bytes."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def generate(docs: Path, overlay: Path | None, *, merged: bool) -> dict[str, Any]:
    if not docs.is_dir():
        raise ConfigError(f"docs folder not found: {docs} (give --docs PATH)")
    if overlay is not None and not overlay.is_file():
        raise ConfigError(f"overlay not found: {overlay}")
    pages = sorted(docs.glob("*Api.md")) if merged else [docs / "ConversationsApi.md"]
    if not pages or not all(page.is_file() for page in pages):
        raise ConfigError(f"no API pages (*Api.md) in {docs}")
    try:
        return build_spec(pages, docs, overlay, all_models=merged)
    except ValueError as error:
        raise ConfigError(f"cannot build the spec: {error}") from None


def docs_folder(given: Path | None) -> Path:
    """--docs, else $SLSKD_DOCS: the checker ships the specs, not the docs they come from."""
    if given is not None:
        return given
    named = os.environ.get(DOCS_VARIABLE)
    if named:
        return Path(named)
    raise ConfigError(
        f"which docs? give --docs PATH or set {DOCS_VARIABLE} to a copy of the {DOCS_ORIGIN.describe()}"
    )


def _round_trip(docs: Path, upstream_file: Path) -> int:
    if not upstream_file.is_file():
        raise ConfigError(f"upstream OpenAPI file not found: {upstream_file}")
    upstream = read_yaml(upstream_file)
    report = round_trip_report(generate(docs, None, merged=True), upstream)
    print("\n".join(report_lines(report)))
    for name, (_, _, differences) in report.items():
        for difference in differences:
            print(f"  {name}: {difference}")
    return ExitCode.CONFORMANT


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="conformance spec", description=__doc__)
    parser.add_argument(
        "--docs",
        type=Path,
        help=f"folder of openapi-generator Markdown pages (default: ${DOCS_VARIABLE}); "
        f"the specs come from the {DOCS_ORIGIN.describe()}",
    )
    parser.add_argument(
        "--overlay", type=Path, default=OVERLAY, help="overlay file (default: specs/overlay.yaml)"
    )
    parser.add_argument(
        "--all", action="store_true", help="every API page merged (specs/slskd-api.openapi.json)"
    )
    parser.add_argument(
        "--out",
        type=Path,
        help="where to write (default: the committed spec's file name in the working directory)",
    )
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if the committed file (or --out) would change"
    )
    parser.add_argument(
        "--round-trip",
        type=Path,
        metavar="OPENAPI_FILE",
        help=f"compare the merged spec (docs only) with the OpenAPI file the docs were generated from "
        f"(openapi.yaml of {DOCS_ORIGIN.short})",
    )
    args = parser.parse_args(argv)
    docs = docs_folder(args.docs)
    if args.round_trip:
        return _round_trip(docs, args.round_trip)
    committed = MERGED_SPEC if args.all else CONVERSATIONS_SPEC
    text = render(generate(docs, args.overlay, merged=args.all))
    if args.check:
        out = args.out or committed
        current = out.read_text(encoding="utf-8") if out.exists() else ""
        if current != text:
            print(f"{out} is stale: run `conformance spec{' --all' if args.all else ''}`", file=sys.stderr)
            return ExitCode.NON_CONFORMANT
        print(f"{out} is up to date")
        return ExitCode.CONFORMANT
    out = args.out or Path(committed.name)
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out}")
    return ExitCode.CONFORMANT

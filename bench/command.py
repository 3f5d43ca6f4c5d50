"""`conformance bench`: what a conformance run costs, next to plain Schemathesis and raw HTTP.

One invocation starts one reference server and measures, as child processes: (a0) the
default `conformance run` as a user types it, (a) the same full run against the shared
server, (b) plain `schemathesis run` on the same spec, max-examples and seed, (c) a raw
`requests.Session` loop sending as many requests as (a). The shared server notes when each
child's first request arrives; `conformance --help` and `--version` are timed too. Medians
over --repeat rounds; the runs of a round follow each other, so on a busy machine compare the
ratios, not the seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from pathlib import Path

from bench.docs import FIGURES, PAGE, write_docs
from bench.report import document, marginal, table
from bench.runs import api_parts, run_bench, scale, startup

SCALE = (10, 25, 50, 200)


def machine() -> str:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        platform.processor() or "unknown CPU",
    )  # fmt: skip
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}, {platform.system()}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="conformance bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-examples", type=int, default=25)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3, help="rounds per measurement; medians are shown")
    parser.add_argument("--scale", action="store_true", help=f"also measure (a0) at {SCALE} examples")
    parser.add_argument(
        "--mutants",
        action="store_true",
        help="also score (a0) and (b) over the mutant corpus (slow: two runs per mutant)",
    )
    parser.add_argument("--jobs", type=int, default=2, help="mutants scored in parallel (default 2)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures as JSON")
    parser.add_argument(
        "--write-docs",
        action="store_true",
        help="store the figures as docs/performance.json and re-render docs/performance.md's tables",
    )
    args = parser.parse_args(argv)
    if args.max_examples < 1 or args.repeat < 1:
        parser.error("--max-examples and --repeat must be at least 1")
    if args.json is not None and not args.json.parent.is_dir():
        parser.error(f"--json: no such directory {str(args.json.parent)!r}")
    if args.write_docs and not PAGE.is_file():
        parser.error(f"--write-docs: no {PAGE} (run it from a clone of the repository)")
    load_at_start = os.getloadavg()[0]
    print(f"machine: {machine()}")
    print(f"max-examples {args.max_examples}, seed {args.seed}, medians of {args.repeat}\n")
    runs = run_bench(args.max_examples, args.seed, args.repeat)
    started = startup(args.repeat)
    parts = api_parts(args.max_examples, args.seed, args.repeat)
    scores = None
    if args.mutants:
        from bench.scores import mutation_scores  # loads the corpus: only when asked

        scores = mutation_scores(args.max_examples, args.seed, args.jobs)
    print("\n".join(table(runs, scores, started, parts)))
    scaled = scale(SCALE, args.seed, args.repeat, {args.max_examples: runs["a0"]}) if args.scale else None
    if scaled:
        print("\nscale of (a0) with --max-examples:")
        for examples, sample in scaled.items():
            print(
                f"  {examples:>4} examples: {sample.wall:6.2f} s, {sample.cases:>5} cases, "
                f"{sample.requests:>6} requests, {1000 * sample.per_request:.2f} ms per request"
            )
        raw = runs["c"].per_request_running or runs["c"].per_request
        for span, seconds in marginal(scaled).items():
            print(
                f"  {span:>9} examples: {1000 * seconds:.2f} ms per added request "
                f"({seconds / raw:.2f}× the raw loop's, after its first request)"
            )
    settings = {"max_examples": args.max_examples, "seed": args.seed, "repeat": args.repeat}
    figures = document(
        runs,
        machine=machine(),
        settings=settings,
        scores=scores,
        scaled=scaled,
        startup=started,
        parts=parts,
    )
    figures["load_average"] = {"start": round(load_at_start, 2), "end": round(os.getloadavg()[0], 2)}
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
        print(f"\nfigures written to {args.json}")
    if args.write_docs:
        write_docs(figures)
        print(f"\n{PAGE.name} re-rendered from {FIGURES.name}")
    return 0

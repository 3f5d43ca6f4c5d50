"""The false-positive rate, measured: servers the docs allow × seeds → defects found.

Every server here is one the documentation (plus slskd's facts) allows, so every defect a
run reports against it is a false defect; the slskd behaviour has exactly its known
deviations, so only a defect outside that set counts there. Each cell is one
`conformance run` against the embedded reference server, run as the mutant tests run one
(`run_suite_process`: a fresh process entering the CLI, the verdict read from results.json)
with their budget (`--max-examples 10 --no-shrink`; shrinking changes which evidence is
kept, not which requirements fail).

    python -m bench.false_positives [--seeds 0 1 2] [--variant-seeds 1] [--only NAME …]

prints one Markdown row per server: its seeds, the defects per seed, and the false ones.
`--only "variant gzip"` judges only the servers whose name contains one of the texts given
(a variant just added, measured over more seeds without the whole table).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from conformance.mutation.mutants import run_suite_process
from conformance.reference.variants import VARIANTS

EXAMPLES = 10  # the test suite's budget; runs do not shrink (`run_suite_process`)
# slskd 0.26.0's deviations from its docs (shared/slskd/source-notes.md §4): un-awaited
# lookups never answer 404, and acknowledging an id several messages share answers 500.
KNOWN_SLSKD = frozenset(
    {
        "CONV-ACK-ONE-404",
        "CONV-ACK-ALL-404",
        "CONV-CLOSE-404",
        "CONV-ACK-ONE-SHARED-ID",
        "API-NO-SERVER-ERROR",
    }
)


@dataclass(frozen=True)
class Server:
    name: str
    options: tuple[str, ...]
    known: frozenset[str] = frozenset()  # defects this server really has


def servers(only: Sequence[str] = ("",)) -> list[Server]:
    """Every server judged, or those whose name contains one of the texts in `only`."""
    every = tuple(f"--reference-variant={variant}" for variant in VARIANTS)
    judged = [
        Server("documented", ()),
        Server("intended", ("--server-behaviour=intended",)),
        *(Server(f"variant {variant}", (f"--reference-variant={variant}",)) for variant in VARIANTS),
        Server("every variant at once", every),
        Server("slskd (known deviations)", ("--server-behaviour=slskd",), KNOWN_SLSKD),
    ]
    return [server for server in judged if any(text in server.name for text in only)]


def defects(server: Server, seed: int) -> set[str]:
    """The defects one run against `server` reports (the level rule: `judge.is_defect`)."""
    outcome = run_suite_process(list(server.options), max_examples=EXAMPLES, seed=seed)
    if outcome.error is not None:  # no verdict is not a clean verdict
        raise RuntimeError(f"{server.name}, seed {seed}: the run judged nothing: {outcome.error}")
    return set(outcome.defects)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.false_positives", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--variant-seeds", type=int, default=1, help="seeds per single variant (the first N)")
    parser.add_argument("--only", nargs="+", default=[""], help="judge only servers whose name contains one")
    args = parser.parse_args(argv)
    print("| server | seeds | defects per seed | false defects |")
    print("|---|---|---|---|")
    runs = false = 0
    for server in servers(args.only):
        seeds = args.seeds[: args.variant_seeds] if server.name.startswith("variant ") else args.seeds
        found = [defects(server, seed) for seed in seeds]
        wrong = sorted(set().union(*found) - server.known)
        runs += len(seeds)
        false += sum(bool(defects_of_seed - server.known) for defects_of_seed in found)
        counts = ", ".join(str(len(d)) for d in found)
        print(f"| {server.name} | {', '.join(map(str, seeds))} | {counts} | {', '.join(wrong) or 'none'} |")
    print(f"\n{runs} runs, {false} with a false defect")
    return 1 if false else 0


if __name__ == "__main__":
    sys.exit(main())

"""`conformance mutants`: the mutation score of the suite over the corpus of faulty servers."""

from __future__ import annotations

import argparse
from concurrent.futures import ThreadPoolExecutor

from conformance.mutation.mutants import Outcome, load_corpus, run_mutant


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="conformance mutants", description=__doc__)
    parser.add_argument("--jobs", type=int, default=2, help="mutants run in parallel (default 2)")
    parser.add_argument("--max-examples", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", action="append", default=[], metavar="FAULT", help="run only these mutants")
    args = parser.parse_args(argv)
    corpus = load_corpus()
    unknown = [name for name in args.only if name not in corpus]
    if unknown:
        parser.error(f"unknown mutant(s) {', '.join(unknown)}; known: {', '.join(corpus)}")
    faults = args.only or list(corpus)
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        outcomes: list[Outcome] = list(
            pool.map(lambda f: run_mutant(f, max_examples=args.max_examples, seed=args.seed), faults)
        )
    for outcome in outcomes:
        verdict = "killed  " if outcome.killed else "SURVIVED"
        detail = outcome.error or ", ".join(sorted(outcome.defects)) or "no defect found"
        expects = ", ".join(map(str, outcome.expected))
        print(f"{verdict} {outcome.fault:<30} expects {expects:<28} found: {detail}")
        for kill in outcome.unmet() if not outcome.error else ():
            where = ", ".join(sorted(outcome.failing_on.get(kill.requirement, ()))) or "nowhere"
            print(f"         unmet: {kill} (its failures name {where})")
    killed = sum(o.killed for o in outcomes)
    print(f"mutation score: {killed}/{len(outcomes)} killed ({100 * killed / len(outcomes):.0f}%)")
    survivors = [o.fault for o in outcomes if not o.killed]
    if survivors:
        print(f"survived: {', '.join(s or '' for s in survivors)}")
    return 0 if not survivors else 1

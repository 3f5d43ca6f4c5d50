"""`conformance requirements`: every requirement, its level, and the checks that verify it."""

from __future__ import annotations

import argparse

from conformance.checks.registered import load_checks
from conformance.requirements.catalogue import load_catalogue
from conformance.requirements.registry import checks_for


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="conformance requirements", description=__doc__)
    parser.add_argument("ids", nargs="*", metavar="ID", help="show only these requirements, in full")
    args = parser.parse_args(argv)
    catalogue = load_catalogue()
    unknown = [rid for rid in args.ids if rid not in catalogue]
    if unknown:
        parser.error(f"unknown requirement(s) {', '.join(unknown)}")
    load_checks()
    for requirement in (catalogue[rid] for rid in args.ids or catalogue):
        checks = checks_for(requirement.id)
        if not args.ids:
            names = ", ".join(c.name for c in checks) or "NO CHECK"
            print(f"{requirement.id:<30} {requirement.level.value:<6} {names}")
            continue
        print(f"{requirement.id} ({requirement.level.value}): {requirement.statement}")
        for check in checks:
            print(f"  {check.kind:<12} {check.name}" + (f": {check.doc}" if check.doc else ""))
    return 0

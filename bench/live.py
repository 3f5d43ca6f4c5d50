"""What a run against a live slskd costs at the default pace: requests and wall time.

A live target is paced (5 requests per second unless `--rate` says otherwise), so there the
requests are the currency, not the CPU. Each row is one `conformance run` as a user types
it, in a child process, against a reference server started the way a live slskd would be
met: over loopback, with an API key, in slskd 0.26.0's behaviour unless the row says otherwise.

    python -m bench.live [--max-examples 25] [--seed 0] [--rows NAME,…]

prints one Markdown row per run: what was run, its verdict, requests and wall seconds.
Rows:
- read-only: a slskd not logged in to Soulseek, the default profile (GET/HEAD only, paced);
- network: a slskd logged in to `conformance network`, `--network-control … --profile full`;
  proven disposable, it runs unpaced by default;
- network-documented: the same against a slskd that keeps its docs (no defect, so no failure
  to shrink within `--shrink-budget`);
- network-paced: the slskd row with `--rate 300/m`, what the default pace would cost it;
- not-logged-in-full: not logged in, `--profile full --i-understand-this-messages-real-users`,
  paced (the longest row: run it when you need it).
"""

from __future__ import annotations

import argparse
import secrets
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass

from bench.runs import measured_run
from conformance.network.control import ControlServer
from conformance.network.server import NetworkServer
from conformance.network.state import PeerKind
from conformance.reference import ReferenceOptions, ReferenceServer

ECHO_PEER = "echo-peer"


@dataclass(frozen=True)
class Row:
    name: str
    verdict: str
    requests: int
    wall: float
    covered: str

    def markdown(self) -> str:
        return f"| {self.name} | {self.verdict} | {self.covered} | {self.requests} | {self.wall:.1f} |"


@contextmanager
def not_logged_in(key: str, behaviour: str) -> Iterator[tuple[str, list[str]]]:
    """A slskd that is up but not logged in to Soulseek: the target CI usually has."""
    with ReferenceServer(ReferenceOptions(behaviour=behaviour, api_key=key, logged_in=False)) as slskd:
        yield slskd.url, []


@contextmanager
def on_network(key: str, behaviour: str) -> Iterator[tuple[str, list[str]]]:
    """A slskd logged in to the simulated network, and the control URL that proves it."""
    peers = {ECHO_PEER: PeerKind.ECHO, "quiet-peer": PeerKind.SILENT}
    with NetworkServer(peers) as network, ControlServer(network) as control:
        options = ReferenceOptions(
            behaviour=behaviour,
            api_key=key,
            echo_peers=(ECHO_PEER,),
            soulseek=("127.0.0.1", network.port),
            soulseek_username="slskd-under-test",
        )
        with ReferenceServer(options) as slskd:
            yield slskd.url, ["--network-control", control.url, "--profile", "full", "--echo-peer", ECHO_PEER]


Target = Callable[[str, str], AbstractContextManager[tuple[str, list[str]]]]
# name: the target, its behaviour (slskd 0.26.0's, known defects included, or the documented
# one: no defect, so nothing to shrink), what the user adds to the command line
TARGETS: dict[str, tuple[Target, str, tuple[str, ...]]] = {
    "read-only": (not_logged_in, "slskd", ()),
    "network": (on_network, "slskd", ()),
    "network-documented": (on_network, "documented", ()),
    "network-paced": (on_network, "slskd", ("--rate", "300/m")),
    "not-logged-in-full": (
        not_logged_in,
        "slskd",
        ("--profile", "full", "--i-understand-this-messages-real-users"),
    ),
}


def measure(name: str, examples: int, seed: int) -> Row:
    target, behaviour, extra = TARGETS[name]
    key = secrets.token_urlsafe(24)
    with target(key, behaviour) as (url, options):
        child, results = measured_run(
            ["--target-url", url, *options, *extra], examples, seed, {"SLSKD_API_KEY": key}
        )
    summary = results["summary"]
    verdict = f"{summary['verdict']} ({summary['defects']} defects)"
    covered = f"{summary['covered']}/{summary['requirements']}"
    return Row(name, verdict, results["run"]["requests"], child.wall, covered)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.live", description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-examples", type=int, default=25)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--rows",
        default="read-only,network,network-documented,network-paced",
        help=f"of {', '.join(TARGETS)}",
    )
    args = parser.parse_args(argv)
    rows = args.rows.split(",")
    if unknown := set(rows) - set(TARGETS):
        parser.error(f"unknown rows: {', '.join(sorted(unknown))}")
    print("| run | verdict | requirements covered | requests | wall s |")
    print("|---|---|---|---:|---:|")
    for name in rows:
        print(measure(name, args.max_examples, args.seed).markdown(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`conformance bench`: what a conformance run costs, next to plain Schemathesis and raw HTTP.

One invocation starts one reference server and measures, as child processes against it:
(a) the project's full default run (all operations, positive + negative + stateful, probes,
auth, reports), (b) plain `schemathesis run` on the same generated spec with the same
max-examples and seed, (c) a raw `requests.Session` loop sending as many requests as (a) —
the lower bound of HTTP cost. Also (a0): the default `conformance run` as a user types it,
embedded server start included. Medians over --repeat runs; peak RSS per child via wait4.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from conformance.reference.server import ReferenceOptions, ReferenceServer
from conformance.specgen.command import CONVERSATIONS_SPEC

PYTHON = sys.executable

RAW_LOOP = """
import sys, requests
url, key, total = sys.argv[1], sys.argv[2], int(sys.argv[3])
session = requests.Session()
session.headers["X-API-Key"] = key
for n in range(total):
    kind = n % 4
    if kind == 0:
        session.post(f"{url}/conversations/raw-{n % 50}", json=f"message {n}")
    elif kind == 1:
        session.get(f"{url}/conversations", params={"includeInactive": "true"})
    elif kind == 2:
        session.get(f"{url}/conversations/raw-{n % 50}")
    else:
        session.get(f"{url}/conversations/raw-{n % 50}/messages")
"""


@dataclass
class Sample:
    wall: float  # seconds
    cases: int  # test cases (or requests, for the raw loop)
    requests: int
    rss_mb: float


def measure(
    argv: list[str], env: dict[str, str] | None = None, cwd: str | None = None
) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one child process."""
    started = time.perf_counter()
    child = subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, **(env or {})}, cwd=cwd
    )
    _, _, usage = os.wait4(child.pid, 0)
    return time.perf_counter() - started, usage.ru_maxrss / 1024


def conformance_run(extra: list[str], examples: int, seed: int, env: dict[str, str] | None = None) -> Sample:
    with tempfile.TemporaryDirectory() as reports:
        wall, rss = measure(
            [PYTHON, "-m", "conformance.cli", "run", "-q", f"--reports-dir={reports}",
             f"--max-examples={examples}", f"--seed={seed}", *extra],
            env,
        )  # fmt: skip
        run = json.loads((Path(reports) / "latest" / "results.json").read_text(encoding="utf-8"))["run"]
    return Sample(wall, run["cases"], run["requests"], rss)


def plain_schemathesis(url: str, key: str, examples: int, seed: int) -> Sample:
    with tempfile.TemporaryDirectory() as reports:
        wall, rss = measure(
            [PYTHON, "-m", "schemathesis.cli", "run", str(CONVERSATIONS_SPEC), "--url", f"{url}/api/v0",
             "-H", f"X-API-Key: {key}", f"--max-examples={examples}", f"--seed={seed}",
             "--report", "json", "--report-dir", reports],
            cwd=reports,  # its crash cache (.schemathesis/) stays out of the working tree
        )  # fmt: skip
        report = json.loads(next(Path(reports).glob("*.json")).read_text(encoding="utf-8"))
    cases = report["test_cases"]["generated"]
    return Sample(wall, cases, cases, rss)


def raw_loop(url: str, key: str, total: int) -> Sample:
    wall, rss = measure([PYTHON, "-c", RAW_LOOP, f"{url}/api/v0", key, str(total)])
    return Sample(wall, total, total, rss)


def median(samples: list[Sample]) -> Sample:
    return Sample(
        statistics.median(s.wall for s in samples),
        int(statistics.median(s.cases for s in samples)),
        int(statistics.median(s.requests for s in samples)),
        statistics.median(s.rss_mb for s in samples),
    )


def run_bench(examples: int, seed: int, repeat: int) -> dict[str, Sample]:
    key = secrets.token_urlsafe(24)
    live = [
        "--profile=full",
        "--i-understand-this-messages-real-users",
        "--rate=none",
        "--max-requests=10000000",
    ]
    samples: dict[str, list[Sample]] = {"a0": [], "a": [], "b": [], "c": []}
    with ReferenceServer(ReferenceOptions(api_key=key)) as server:
        for _ in range(repeat):
            samples["a0"].append(conformance_run([], examples, seed))
            samples["a"].append(conformance_run([f"--target-url={server.url}", *live], examples, seed,
                                                {"SLSKD_API_KEY": key}))  # fmt: skip
            samples["b"].append(plain_schemathesis(server.url, key, examples, seed))
            samples["c"].append(raw_loop(server.url, key, samples["a"][-1].requests))
    return {name: median(runs) for name, runs in samples.items()}


NAMES = {
    "a0": "(a0) conformance run, default (embedded server, start + reports)",
    "a": "(a) conformance run, same server",
    "b": "(b) plain schemathesis run",
    "c": "(c) raw requests.Session loop",
}


def table(results: dict[str, Sample]) -> list[str]:
    lines = [f"{'run':<64} {'wall s':>7} {'cases':>6} {'requests':>8} {'cases/s':>8} {'peak MB':>8}"]
    for name, sample in results.items():
        lines.append(
            f"{NAMES[name]:<64} {sample.wall:>7.2f} {sample.cases:>6} {sample.requests:>8} "
            f"{sample.cases / sample.wall:>8.1f} {sample.rss_mb:>8.1f}"
        )
    a, b, c = results["a"], results["b"], results["c"]
    per_case_a, per_request_c = a.wall / a.cases, c.wall / c.requests
    lines += [
        "",
        f"(a)/(b) cases per second: {(a.cases / a.wall) / (b.cases / b.wall):.2f}  (target ≥ 1)",
        f"(a)/(c) cost per case vs per raw request: {per_case_a / per_request_c:.2f}  (target ≤ 3)",
        f"(a) per request vs (c) per request: {(a.wall / a.requests) / per_request_c:.2f}",
        f"(a0) wall: {results['a0'].wall:.1f} s (target ≤ 15 s)",
        f"(a) peak memory: {a.rss_mb:.0f} MB (target ≤ 300 MB)",
    ]
    return lines


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
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; medians are shown")
    parser.add_argument("--scale", action="store_true", help="also measure (a) at 10, 50 and 200 examples")
    args = parser.parse_args(argv)
    if args.max_examples < 1 or args.repeat < 1:
        parser.error("--max-examples and --repeat must be at least 1")
    print(f"machine: {machine()}")
    print(f"max-examples {args.max_examples}, seed {args.seed}, medians of {args.repeat}\n")
    print("\n".join(table(run_bench(args.max_examples, args.seed, args.repeat))))
    if args.scale:
        print("\nscale of (a0) with --max-examples:")
        for examples in (10, 50, 200):
            sample = median([conformance_run([], examples, args.seed) for _ in range(args.repeat)])
            print(
                f"  {examples:>4} examples: {sample.wall:6.2f} s, {sample.cases:>5} cases, "
                f"{sample.requests:>6} requests"
            )
    return 0

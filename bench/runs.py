"""The measured runs: each one a child process, timed, its peak RSS read with wait4.

(a0) the default `conformance run` as a user types it (embedded server start and reports
included); (a) the same full run against the benchmark's shared server; (b) plain
`schemathesis run` on the same generated spec, max-examples and seed; (c) a raw
`requests.Session` loop sending as many requests as (a): the lower bound of HTTP cost.
"""

from __future__ import annotations

import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.reference.server import ReferenceOptions, ReferenceServer
from conformance.resources import CONVERSATIONS_SPEC

PYTHON = sys.executable
RUNS = ("a0", "a", "b", "c")

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

# What a live target needs spelled out to behave like the embedded one: no pace, no budget.
UNBOUNDED_FULL_RUN = (
    "--profile=full",
    "--i-understand-this-messages-real-users",
    "--rate=none",
    "--max-requests=10000000",
)


@dataclass(frozen=True)
class Sample:
    wall: float  # seconds
    cases: int  # test cases (or requests, for the raw loop)
    requests: int
    rss_mb: float

    @property
    def per_request(self) -> float:
        """Wall seconds per request: what a request costs all told."""
        return self.wall / self.requests

    def as_json(self) -> dict[str, Any]:
        return {
            "wall_s": round(self.wall, 3),
            "requests": self.requests,
            "cases": self.cases,
            "peak_mb": round(self.rss_mb, 1),
        }


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


def schemathesis_argv(url: str, key: str, examples: int, seed: int, reports: str) -> list[str]:
    """Plain `schemathesis run` on the generated spec, writing its JSON report to `reports`."""
    return [
        PYTHON, "-m", "schemathesis.cli", "run", str(CONVERSATIONS_SPEC), "--url", f"{url}/api/v0",
        "-H", f"X-API-Key: {key}", f"--max-examples={examples}", f"--seed={seed}",
        "--report", "json", "--report-dir", reports,
    ]  # fmt: skip


def schemathesis_report(reports: str) -> dict[str, Any]:
    return json.loads(next(Path(reports).glob("*.json")).read_text(encoding="utf-8"))


def plain_schemathesis(url: str, key: str, examples: int, seed: int) -> Sample:
    with tempfile.TemporaryDirectory() as reports:
        # cwd: its crash cache (.schemathesis/) stays out of the working tree
        wall, rss = measure(schemathesis_argv(url, key, examples, seed, reports), cwd=reports)
        cases = schemathesis_report(reports)["test_cases"]["generated"]
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
    """Medians of `repeat` rounds; the runs of a round follow each other, so that a busy
    machine slows all of them alike and their ratios stay meaningful."""
    key = secrets.token_urlsafe(24)
    samples: dict[str, list[Sample]] = {name: [] for name in RUNS}
    with ReferenceServer(ReferenceOptions(api_key=key)) as server:
        for _ in range(repeat):
            samples["a0"].append(conformance_run([], examples, seed))
            live = [f"--target-url={server.url}", *UNBOUNDED_FULL_RUN]
            samples["a"].append(conformance_run(live, examples, seed, {"SLSKD_API_KEY": key}))
            samples["b"].append(plain_schemathesis(server.url, key, examples, seed))
            samples["c"].append(raw_loop(server.url, key, samples["a"][-1].requests))
    return {name: median(runs) for name, runs in samples.items()}


def scale(examples: tuple[int, ...], seed: int, repeat: int, known: dict[int, Sample]) -> dict[int, Sample]:
    """(a0) at each number of examples (those `known` already measured are not run again):
    the cost should grow linearly."""
    return {
        n: known[n] if n in known else median([conformance_run([], n, seed) for _ in range(repeat)])
        for n in examples
    }

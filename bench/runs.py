"""The measured runs: each one a child process, timed, its peak RSS read with wait4.

(a0) the default `conformance run` as a user types it (embedded server start and reports
included); (a) the same full run against the benchmark's shared server; (b) plain
`schemathesis run` on the same generated spec, max-examples and seed; (c) a raw
`requests.Session` loop sending as many requests as (a): the lower bound of HTTP cost.
The shared server notes when each child's first request arrives (how long its start-up
took); `conformance --help` and `--version` are timed on their own.
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

from conformance.data.resources import CONVERSATIONS_SPEC
from conformance.reference.server import ReferenceOptions, ReferenceServer

PYTHON = sys.executable
RUNS = ("a0", "a", "b", "c")
# The items of each behaviourally checked peer-facing API, alone (as the network gate tests
# select them), on the embedded server's simulated network: what each API's checks cost, since
# they wait on the simulated peers. Each with its bound in seconds on 2 cores (issues 23, 24, 25).
PARTS = {
    "Searches": (("-k", "search and not conversation"), 20.0),
    "Transfers": (("-k", "transfer"), 30.0),
    "Users and Rooms": (("-k", "user_probes or user_drawn or room_probes or room_model"), 20.0),
}

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
    first_request: float | None = None  # seconds from the child's start; None: not seen (embedded)

    @property
    def per_request(self) -> float:
        """Wall seconds per request: what a request costs all told."""
        return self.wall / self.requests

    @property
    def per_request_running(self) -> float | None:
        """Wall seconds per request after the first one left: the process's start-up (imports,
        interpreter) excluded, what stays per request. None when the first was not seen."""
        return None if self.first_request is None else (self.wall - self.first_request) / self.requests

    def as_json(self) -> dict[str, Any]:
        figures: dict[str, Any] = {
            "wall_s": round(self.wall, 3),
            "requests": self.requests,
            "cases": self.cases,
            "peak_mb": round(self.rss_mb, 1),
        }
        if self.first_request is not None:
            figures["first_request_s"] = round(self.first_request, 3)
        return figures


@dataclass(frozen=True)
class Startup:
    """What a user waits for before anything happens: medians of whole commands, seconds."""

    help: float  # `conformance --help`
    version: float  # `conformance --version`

    def as_json(self) -> dict[str, float]:
        return {"help_s": round(self.help, 3), "version_s": round(self.version, 3)}


class Arrivals:
    """The shared server's clock for first requests: `expect()` before a child starts, then
    `first` is when the server began answering the first request after it (perf_counter)."""

    def __init__(self, server: ReferenceServer) -> None:
        app = server.app
        if app is None:
            raise RuntimeError("the shared server is not started")
        self._handle = app.handle
        app.handle = self._note  # type: ignore[method-assign]
        self.first: float | None = None

    def expect(self) -> None:
        self.first = None

    def _note(self, environ: dict[str, Any]) -> Any:
        if self.first is None:
            self.first = time.perf_counter()
        return self._handle(environ)


@dataclass(frozen=True)
class Measured:
    wall: float  # seconds
    rss_mb: float  # peak RSS
    first_request: float | None  # seconds from the start to the first request `arrivals` saw


def measure(
    argv: list[str],
    env: dict[str, str] | None = None,
    cwd: str | None = None,
    arrivals: Arrivals | None = None,
) -> Measured:
    """One child process: its wall time, peak RSS, and when its first request reached `arrivals`."""
    if arrivals is not None:
        arrivals.expect()
    started = time.perf_counter()
    child = subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, **(env or {})}, cwd=cwd
    )
    _, _, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    first = arrivals.first if arrivals is not None else None
    return Measured(wall, usage.ru_maxrss / 1024, None if first is None else first - started)


def measured_run(
    extra: list[str],
    examples: int,
    seed: int,
    env: dict[str, str] | None = None,
    arrivals: Arrivals | None = None,
) -> tuple[Measured, dict[str, Any]]:
    """One `conformance run` as a user types it: how it ran, and its results.json."""
    with tempfile.TemporaryDirectory() as reports:
        child = measure(
            [PYTHON, "-m", "conformance.cli", "run", "-q", f"--reports-dir={reports}",
             f"--max-examples={examples}", f"--seed={seed}", *extra],
            env, arrivals=arrivals,
        )  # fmt: skip
        results = json.loads((Path(reports) / "latest" / "results.json").read_text(encoding="utf-8"))
    return child, results


def conformance_run(
    extra: list[str],
    examples: int,
    seed: int,
    env: dict[str, str] | None = None,
    arrivals: Arrivals | None = None,
) -> Sample:
    child, results = measured_run(extra, examples, seed, env, arrivals)
    run = results["run"]
    return Sample(child.wall, run["cases"], run["requests"], child.rss_mb, child.first_request)


def schemathesis_argv(url: str, key: str, examples: int, seed: int, reports: str) -> list[str]:
    """Plain `schemathesis run` on the generated spec, writing its JSON report to `reports`."""
    return [
        PYTHON, "-m", "schemathesis.cli", "run", str(CONVERSATIONS_SPEC), "--url", f"{url}/api/v0",
        "-H", f"X-API-Key: {key}", f"--max-examples={examples}", f"--seed={seed}",
        "--report", "json", "--report-dir", reports,
    ]  # fmt: skip


def schemathesis_report(reports: str) -> dict[str, Any]:
    return json.loads(next(Path(reports).glob("*.json")).read_text(encoding="utf-8"))


def plain_schemathesis(
    url: str, key: str, examples: int, seed: int, arrivals: Arrivals | None = None
) -> Sample:
    with tempfile.TemporaryDirectory() as reports:
        # cwd: its crash cache (.schemathesis/) stays out of the working tree
        child = measure(schemathesis_argv(url, key, examples, seed, reports), cwd=reports, arrivals=arrivals)
        cases = schemathesis_report(reports)["test_cases"]["generated"]
    return Sample(child.wall, cases, cases, child.rss_mb, child.first_request)


def raw_loop(url: str, key: str, total: int, arrivals: Arrivals | None = None) -> Sample:
    child = measure([PYTHON, "-c", RAW_LOOP, f"{url}/api/v0", key, str(total)], arrivals=arrivals)
    return Sample(child.wall, total, total, child.rss_mb, child.first_request)


def median(samples: list[Sample]) -> Sample:
    firsts = [s.first_request for s in samples if s.first_request is not None]
    return Sample(
        statistics.median(s.wall for s in samples),
        int(statistics.median(s.cases for s in samples)),
        int(statistics.median(s.requests for s in samples)),
        statistics.median(s.rss_mb for s in samples),
        statistics.median(firsts) if firsts else None,
    )


def startup(repeat: int) -> Startup:
    """Medians of `conformance --help` and `conformance --version`, each a whole process."""

    def timed(flag: str) -> float:
        return statistics.median(measure([PYTHON, "-m", "conformance.cli", flag]).wall for _ in range(repeat))

    return Startup(help=timed("--help"), version=timed("--version"))


def run_bench(examples: int, seed: int, repeat: int) -> dict[str, Sample]:
    """Medians of `repeat` rounds; the runs of a round follow each other, so that a busy
    machine slows all of them alike and their ratios stay meaningful."""
    key = secrets.token_urlsafe(24)
    samples: dict[str, list[Sample]] = {name: [] for name in RUNS}
    with ReferenceServer(ReferenceOptions(api_key=key)) as server:
        arrivals = Arrivals(server)
        for _ in range(repeat):
            samples["a0"].append(conformance_run([], examples, seed))
            live = [f"--target-url={server.url}", *UNBOUNDED_FULL_RUN]
            samples["a"].append(conformance_run(live, examples, seed, {"SLSKD_API_KEY": key}, arrivals))
            samples["b"].append(plain_schemathesis(server.url, key, examples, seed, arrivals))
            samples["c"].append(raw_loop(server.url, key, samples["a"][-1].requests, arrivals))
    return {name: median(runs) for name, runs in samples.items()}


def api_parts(examples: int, seed: int, repeat: int) -> dict[str, Sample]:
    """Medians of each API's part of the default run alone (`PARTS`): their items wait on the
    simulated peers and on timeouts, so their time is what each API adds."""
    return {
        name: median([conformance_run(list(items), examples, seed) for _ in range(repeat)])
        for name, (items, _) in PARTS.items()
    }


def scale(examples: tuple[int, ...], seed: int, repeat: int, known: dict[int, Sample]) -> dict[int, Sample]:
    """(a0) at each number of examples (those `known` already measured are not run again):
    the cost should grow linearly."""
    return {
        n: known[n] if n in known else median([conformance_run([], n, seed) for _ in range(repeat)])
        for n in examples
    }

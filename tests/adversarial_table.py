"""Re-measure docs/coverage.md's table of hostile targets: `python -m tests.adversarial_table`.

Each scenario runs `conformance run` as a user would, against a hostile fake target (or
with a bad option), and prints one Markdown row: scenario, exit code, wall time, the last
line the run printed on stderr or stdout, and what the "other host" (a second origin on
127.0.0.2) received. The issue-16 attacks are the scenarios; numbers change with the
machine, the verdicts must not.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.servers.fake_slskd import FakeSlskd
from tests.servers.hostile import (
    bomb_on,
    echoing,
    endless_body,
    gzip_on,
    huge_body,
    huge_on,
    redirect_to,
    trickling_body,
)
from tests.servers.local import Handler, LocalServer

KEY = "adversarial-api-key-0123456789"
HEADER = "| scenario | exit | time | said (cut short, else last) | other host got | traceback | key out |"


@dataclass
class Scenario:
    name: str
    target: Callable[[str], Handler] | None  # other host's URL → the target's handler; None: embedded
    args: tuple[str, ...] = ()
    interrupt_after: float | None = None  # send SIGINT after this many seconds


SCENARIOS = [
    Scenario("every request 307 to another host (read-only)", lambda other: redirect_to(other)),
    Scenario(
        "writes 307 to another host (safe-writes)",
        lambda other: redirect_to(other, only="POST"),
        ("--profile=safe-writes", "--peer=alice"),
    ),
    Scenario(
        "login 307 to another host",
        lambda other: redirect_to(other, only="POST"),
        ("--username=alice", "--password=alice-password-42"),
    ),
    Scenario("50 MB JSON body (preflight)", lambda other: huge_body(50_000_000)),
    Scenario("50 MB answer on GET /application (mid-run)", lambda other: huge_on("/application", 50_000_000)),
    Scenario("64 KB of gzip inflating to 64 MB (preflight)", lambda other: bomb_on("/enabled", 64_000_000)),
    Scenario(
        "64 KB of gzip inflating to 64 MB on GET /application (mid-run)",
        lambda other: bomb_on("/application", 64_000_000),
    ),
    Scenario(
        "said gzip, not gzip, on GET /application (mid-run)",
        lambda other: gzip_on("/application", b"not gzip at all"),
    ),
    Scenario("endless chunked body", lambda other: endless_body),
    Scenario("one byte every 2 s, --timeout 3", lambda other: trickling_body(2.0), ("--timeout=3",)),
    Scenario("target echoes every header (key in 5 encodings)", lambda other: echoing(KEY)),
    Scenario("--max-requests 40 (budget reached)", None, ("--max-requests=40",)),
    Scenario("Ctrl-C after 10 s", None, (), interrupt_after=10.0),
    Scenario("--target-url 'http://[::1'", None, ("--target-url=http://[::1",)),
    Scenario("--spec README.md", None, ("--spec=README.md",)),
    Scenario("--timeout 1e308", None, ("--timeout=1e308",)),
    Scenario("--rate 0.0000001/h", None, ("--rate=0.0000001/h",)),
    Scenario("--reports-dir inside a regular file", None, ("--reports-dir={file}/reports",)),
]


@contextmanager
def _servers(scenario: Scenario) -> Iterator[tuple[str | None, LocalServer]]:
    with ExitStack() as stack:
        other = stack.enter_context(LocalServer(FakeSlskd(api_key=None).handler, host="127.0.0.2"))
        target = None
        if scenario.target is not None:
            target = stack.enter_context(LocalServer(scenario.target(other.url))).url
        yield target, other


def measure(scenario: Scenario, scratch: Path) -> str:
    regular_file = scratch / "a-file"
    regular_file.write_text("not a folder", encoding="utf-8")
    with _servers(scenario) as (target, other):
        args = [arg.replace("{file}", str(regular_file)) for arg in scenario.args]
        if target is not None:
            args = [f"--target-url={target}", "--rate=none", *args]
            if not any(arg.startswith("--username") for arg in args):
                args.append(f"--api-key={KEY}")
        command = [
            sys.executable, "-m", "conformance.cli", "run", f"--reports-dir={scratch / 'reports'}",
            "--max-examples=5", "-p", "no:randomly", "-n", "0", "-q", *args,
        ]  # fmt: skip
        started = time.monotonic()
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            # A shell's background job ignores SIGINT, and a child would inherit that: restore it.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        if scenario.interrupt_after is not None:
            time.sleep(scenario.interrupt_after)
            process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=600)
        elapsed = time.monotonic() - started
    said = (stderr.strip() or stdout.strip()).splitlines()
    leaked = KEY in stdout + stderr
    cut_short = [line.strip() for line in stdout.splitlines() if "cut short:" in line]
    last = cut_short[0] if cut_short else said[-1] if said else ""
    traceback = "Traceback" in stdout + stderr or "INTERNALERROR" in stdout + stderr
    return (
        f"| {scenario.name} | {process.returncode} | {elapsed:.1f} s | {last[:110]} | "
        f"{len(other.received)} | {'yes' if traceback else 'no'} | {'LEAK' if leaked else 'no'} |"
    )


def main() -> None:
    """All scenarios, or those whose name contains the first argument."""
    chosen = sys.argv[1] if len(sys.argv) > 1 else ""
    print(HEADER)
    print("|---|---|---|---|---|---|---|")
    for scenario in (s for s in SCENARIOS if chosen in s.name):
        with tempfile.TemporaryDirectory() as scratch:
            print(measure(scenario, Path(scratch)), flush=True)


if __name__ == "__main__":
    main()

"""Runs `conformance ARGV` in fresh processes forked from a server that has done the imports.

A mutation score is dozens of whole runs, each in its own process (a fresh reference server,
a fresh Hypothesis state). A fresh interpreter spends about a second of CPU importing pytest,
Schemathesis, Hypothesis and the checker before its first request; a fork of a process that
has imported them starts where that interpreter would be a second later. The server does
nothing but those imports, so each fork starts from the state a fresh interpreter reaches
after them (`random` reseeds itself in every fork), then enters `conformance.cli.main.main` where
the shell's `conformance` does. Not `multiprocessing`'s fork server: its children re-run the
parent's `__main__` before their target.

The server reads one request a line (the arguments, where stdout and stderr go) and answers
each with the run's exit code; it serves one run at a time, so concurrent callers each get
their own server. Each run gets the caller's environment and working directory of the moment
(`env` added), as a subprocess would.
"""

from __future__ import annotations

import atexit
import importlib
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Any

# What a run imports (pytest's and its plugins' entry points, the spec's Schemathesis schema,
# the reporters). Never the suite's own modules, which pytest imports once the run's plan is
# known (they parametrize from it), nor the checks that draw a nonce at import for the names
# they write (`FRESH_PER_RUN`): each run draws its own, as against a live target it must.
# Measured: a run imported 333 modules the server had not; 45 now, mostly the checks and suite.
PRELOADED = (
    "conformance.cli.main",
    "conformance.cli.runner",
    "conformance.cli.plugin",
    "conformance.cli.pytest_entry",
    "conformance.run.lifecycle",
    "conformance.run.reports",
    "conformance.reference.server",
    "conformance.reporting.html",
    "conformance.reporting.junit",
    "conformance.reporting.schema",
    "_hypothesis_pytestplugin",
    "hypothesis.stateful",
    "anyio.pytest_plugin",
    "xdist.plugin",
    "xdist.looponfail",
    "schemathesis.pytest.plugin",
    "schemathesis.pytest.xdist",
    "schemathesis.specs.openapi.schemas",
    "schemathesis.reporting.html",
    "schemathesis.reporting.junitxml",
    "schemathesis.transport.wsgi",
    "schemathesis.transport.asgi",
    "schemathesis.graphql.checks",
    "requests",
    "pyrate_limiter",
    "werkzeug.routing",
    "werkzeug.wrappers",
    "_pytest.python",
    "_pytest.terminal",
    "_pytest.skipping",
    "_pytest.unittest",
    "_pytest.warnings",
    "_pytest.junitxml",
    "_pytest.faulthandler",
    "_pytest.helpconfig",
    "_pytest.threadexception",
    "_pytest.tracemalloc",
)

FRESH_PER_RUN = ("conformance.checks.probes", "conformance.apis.conversations.steps")

_idle: list[subprocess.Popen[str]] = []
_every: list[subprocess.Popen[str]] = []
_lock = threading.Lock()


def conformance_process(
    argv: list[str], stdout: Path, stderr: Path, env: dict[str, str] | None = None
) -> int:
    """`conformance ARGV` in a fresh forked process, its output in the files `stdout` and
    `stderr`, `env` added to its environment (read by the run, as `SLSKD_API_KEY` is); its exit
    code (negative: the signal that ended it)."""
    with _lock:
        server = _idle.pop() if _idle else _start()
    assert server.stdin and server.stdout  # both are pipes
    environment = {**os.environ, **(env or {})}  # the caller's now, as a subprocess would get
    request = {
        "argv": argv,
        "stdout": str(stdout),
        "stderr": str(stderr),
        "env": environment,
        "cwd": os.getcwd(),
    }
    server.stdin.write(json.dumps(request) + "\n")
    server.stdin.flush()
    answer = server.stdout.readline()
    if not answer:
        raise RuntimeError(f"the fork server ended (exit code {server.wait()})")
    with _lock:
        _idle.append(server)
    return int(answer)


def _start() -> subprocess.Popen[str]:
    server = subprocess.Popen(
        [sys.executable, "-m", __name__], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    if not _every:
        atexit.register(_stop_all)
    _every.append(server)
    return server


def _stop_all() -> None:
    """Each server ends at the end of its input."""
    for server in _every:
        if server.stdin:
            server.stdin.close()
        server.wait()


def serve(requests: IO[str], answers: IO[str]) -> None:
    """Import what a run needs, then fork one run a request, each after the previous ended."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C is the runs' and the caller's to handle
    for name in PRELOADED:
        importlib.import_module(name)
    for line in requests:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _become_the_run(request, (requests, answers))
        _, status = os.waitpid(pid, 0)
        answers.write(f"{os.waitstatus_to_exitcode(status)}\n")
        answers.flush()


def _become_the_run(request: dict[str, Any], protocol: tuple[IO[str], IO[str]]) -> None:
    """In the fork: drop the server's pipes, take the run's output files, and leave by the
    interpreter's own exit (threads joined, atexit handlers run), as a fresh process does (the
    run itself freezes its imports out of the garbage collector's sweeps: `gc_settings`)."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for stream in protocol:
        stream.close()
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    os.dup2(os.open(str(request["stdout"]), os.O_WRONLY | os.O_CREAT | os.O_TRUNC), 1)
    os.dup2(os.open(str(request["stderr"]), os.O_WRONLY | os.O_CREAT | os.O_TRUNC), 2)
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    argv = list(request["argv"])
    sys.argv = ["conformance", *argv]
    from conformance.cli.main import entry

    entry()


if __name__ == "__main__":
    # The protocol keeps the pipes it was started with; anything an import prints goes to stderr.
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    serve(sys.stdin, answers)

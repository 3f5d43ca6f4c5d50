"""`--seed` selects the generated requests: the same seed replays them, another explores others.

Each kind of generated test is held to it: Schemathesis' cases of the conversations
operations, the generic reads of the whole API, and the conversations state machine. The
requests are taken from the target's side, as it received them, in the order it did.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

import conformance
from conformance.reference.server import ReferenceOptions, ReferenceServer
from tests.cli import conformance_run

pytestmark = pytest.mark.slow

KEY = "seeds-secret-api-key-0123456789abcdef"
GENERATED = "test_operation or test_read_operation or test_conversation_lifecycle"
# The machine's usernames carry a suffix made fresh in each process (`<stem>-<nonce><example>`),
# inside a name's outer spaces (sent as %20).
MACHINE_NAME = re.compile(r"-[0-9a-f]{6}\d+(?=(?:%20)*(?:[/?]|$))")


def kind(line: str) -> str:
    """Which generated test sent a request: the machine's names carry a suffix, the generic
    reads go beyond Conversations, the rest are Schemathesis' cases of Conversations."""
    path = line.split(" ", 1)[1]
    if not path.startswith("/api/v0/conversations"):
        return "reads"
    return "machine" if "-SUFFIX" in path else "operations"


@contextmanager
def noting_target() -> Iterator[tuple[ReferenceServer, list[str]]]:
    """A live target that notes each request line it receives (usernames' suffixes masked)."""
    with ReferenceServer(ReferenceOptions(api_key=KEY)) as server:
        lines: list[str] = []
        handle: Callable[[dict[str, Any]], Any] = server.app.handle  # type: ignore[union-attr]

        def noting(environ: dict[str, Any]) -> Any:
            query = f"?{environ['QUERY_STRING']}" if environ.get("QUERY_STRING") else ""
            path = MACHINE_NAME.sub("-SUFFIX", environ["PATH_INFO"] + query)
            lines.append(f"{environ['REQUEST_METHOD']} {path}")
            return handle(environ)

        server.app.handle = noting  # type: ignore[union-attr,method-assign]
        yield server, lines


def requests_of(tmp_path: Path, seed: int, installed: Path | None = None) -> dict[str, list[str]]:
    """The requests one run with `seed` sent, by the kind of test that sent them, to a fresh
    target: which generated cases are sent depends on the answers too (a stream of alike
    answers settles), so each run starts from the same state. `installed`: a folder holding
    the checker to run instead of this checkout's."""
    env = {"SLSKD_API_KEY": KEY} | ({} if installed is None else {"PYTHONPATH": str(installed)})
    with noting_target() as (server, lines):
        run = conformance_run(
            tmp_path / f"seed-{seed}-{len(list(tmp_path.iterdir()))}",
            f"--target-url={server.url}",
            "--profile=full",
            "--i-understand-this-messages-real-users",
            "--rate=none",
            "--max-examples=5",
            "--no-shrink",
            f"--seed={seed}",
            "-k",
            GENERATED,
            env=env,
            cwd=None if installed is None else tmp_path,  # not this checkout's folder
        )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    sent: dict[str, list[str]] = {"operations": [], "reads": [], "machine": []}
    for line in lines:
        if not line.endswith(("/application/version", "/session/enabled", "/session")):
            sent.setdefault(kind(line), []).append(line)
    return sent


def test_the_same_seed_replays_the_requests_and_another_seed_sends_others(tmp_path: Path) -> None:
    first = requests_of(tmp_path, seed=0)
    again = requests_of(tmp_path, seed=0)
    other = requests_of(tmp_path, seed=7)
    assert all(first.values()), {k: len(v) for k, v in first.items()}
    for what in ("operations", "reads", "machine"):
        assert again[what] == first[what], f"{what}: seed 0 sent other requests the second time"
        assert other[what] != first[what], f"{what}: seeds 0 and 7 sent the same requests"


def test_an_installed_checker_sends_the_requests_a_checkout_sends(tmp_path: Path) -> None:
    """Hypothesis draws some values from the literals in the source of modules outside
    site-packages: a checkout's every string, never an install's. A run draws none, so that
    editing a log message does not change what a seed sends, and the figures measured in a
    checkout are the ones a user's install sends (`conformance.run.source_constants`)."""
    installed = tmp_path / "site-packages"
    package = Path(conformance.__file__).parent
    shutil.copytree(package, installed / "conformance", ignore=shutil.ignore_patterns("__pycache__"))
    assert requests_of(tmp_path, seed=0, installed=installed) == requests_of(tmp_path, seed=0)

"""The embedded reference server for the API tests, started in one behaviour (tests/conftest.py
has it as fixtures: `server` once in each behaviour, `slskd`, `documented`), and a full-profile
run of the suite against it as a live target (the safety tests' consent runs)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from conformance.reference import ReferenceOptions, ReferenceServer
from tests.cli import conformance_run

BEHAVIOURS = ["documented", "slskd", "intended"]


def serve(behaviour: str = "documented", **options: Any) -> ReferenceServer:
    return ReferenceServer(ReferenceOptions(behaviour=behaviour, **options))


@contextmanager
def live_run(
    tmp_path: Path, keyword: str, *consent: str
) -> Iterator[tuple[ReferenceServer, Any, dict[str, Any]]]:
    """Run the suite's `keyword` items, full profile and `consent` options, against a reference
    server as a live target (no network control); yield the server, still up so the caller
    reads what reached its network, the finished run and its results."""
    with ReferenceServer(ReferenceOptions()) as server:
        run = conformance_run(
            tmp_path,
            f"--target-url={server.url}",
            "--profile=full",
            "--i-understand-this-messages-real-users",
            "--rate=none",
            *consent,
            "-k",
            keyword,
            "-n",
            "0",
            "-q",
        )
        results = json.loads((tmp_path / "latest" / "results.json").read_text(encoding="utf-8"))
        yield server, run, results

"""The embedded reference server for the API tests, started in one behaviour (tests/conftest.py
has it as fixtures: `server` once in each behaviour, `slskd`, `documented`)."""

from __future__ import annotations

from typing import Any

from conformance.reference import ReferenceOptions, ReferenceServer

BEHAVIOURS = ["documented", "slskd", "intended"]


def serve(behaviour: str = "documented", **options: Any) -> ReferenceServer:
    return ReferenceServer(ReferenceOptions(behaviour=behaviour, **options))

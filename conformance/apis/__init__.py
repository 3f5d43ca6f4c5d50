"""The APIs the checker knows, one package each: the registry the engine asks for them.

An API's package holds everything that is about that API and nothing else (its requirements
as data, its model and checks, its scenarios, its emulation in the reference server) and
declares it in one `Api` (`conformance.apis.interface`). The engine names no API: it asks
`installed()` and reads the declarations. The built-in APIs are listed here; another package
adds one through the `slskd_conformance.apis` entry point group (an `Api` object), as the
tests' toy API does, without touching this folder.
"""

from __future__ import annotations

from functools import cache
from importlib import import_module
from importlib.metadata import entry_points
from typing import Any

from conformance.apis.interface import Api
from conformance.transport.policy import PeerWrite, WriteShape
from conformance.transport.preflight import ApiRead

ENTRY_POINTS = "slskd_conformance.apis"
BUILT_IN = (
    "conformance.apis.conversations",
    "conformance.apis.searches",
    "conformance.apis.transfers",
    "conformance.apis.users",
    "conformance.apis.rooms",
    "conformance.apis.shapes",
)


@cache
def installed() -> tuple[Api, ...]:
    """Every installed API: the built-in ones first, then those of other packages, by name."""
    apis = [import_module(module).API for module in BUILT_IN]
    apis += [point.load() for point in sorted(entry_points(group=ENTRY_POINTS), key=lambda p: p.name)]
    for api in apis:
        if not isinstance(api, Api):
            raise TypeError(f"{api!r} is not a conformance.apis.interface.Api")
    return tuple(apis)


def claimed_tags() -> frozenset[str]:
    """The spec tags some API checks behaviourally: the generic checks leave their operations."""
    return frozenset(tag for api in installed() for tag in api.tags)


def write_shapes() -> tuple[WriteShape, ...]:
    """Every write the safe-writes profile may send, as the installed APIs declare them."""
    return tuple(shape for api in installed() for shape in api.writes)


def peer_writes() -> tuple[PeerWrite, ...]:
    """Every write that reaches real people, as the installed APIs declare them."""
    return tuple(write for api in installed() for write in api.peer_writes)


def consents() -> tuple[str, ...]:
    """The consents those writes need (`--allow-<consent>`), each once, in the registry's order."""
    return tuple(dict.fromkeys(write.consent for write in peer_writes()))


def preflight_reads() -> tuple[ApiRead, ...]:
    """The reads that show the target serves the installed APIs, in the registry's order."""
    return tuple(read for api in installed() for read in api.preflight)


@cache
def failure_requirements() -> dict[tuple[str, str], str]:
    """(operation label, Schemathesis failure code) → the requirement that failure breaks on
    that operation, where an installed API says it is not the generic one (`Api.failures`)."""
    return {(label, code): requirement for api in installed() for label, code, requirement in api.failures}


def refused(case: Any, response: Any, failure: Any) -> bool:
    """Whether an installed API calls this Schemathesis failure a refusal its docs allow
    (`Api.refusals`): not a defect."""
    return any(refusal(case, response, failure) for api in installed() for refusal in api.refusals)

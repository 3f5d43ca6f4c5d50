"""The Searches API: slskd's file searches on the Soulseek network, checked behaviourally.

The requirements (`requirements.yaml`, their ids in `ids`), the probe (`probes`) and the
probes that are code (`suite`), the mutants of its emulation (`corpus.yaml`), the reference
server's emulation of the API (`routes`) and the state machine that compares a server with
what the simulated network knows was sent (`rules`). `API` declares them to the engine; the
emulation and the model are imported late, and only when their modules are there, so the
declaration loads whichever parts exist.
"""

from __future__ import annotations

from importlib.util import find_spec
from typing import TYPE_CHECKING

from conformance.apis.interface import Api, Backing, Emulation
from conformance.apis.searches.ids import Search
from conformance.transport.policy import PeerWrite
from conformance.transport.preflight import ApiRead

if TYPE_CHECKING:
    from conformance.checks.context import SuiteContext
    from conformance.checks.probes import Probe


def _present(module: str) -> bool:
    """Whether a module of this package exists (parts of the API land one at a time)."""
    return find_spec(f"{__name__}.{module}") is not None


def _emulate(backing: Backing) -> Emulation:
    """Imported when a reference server starts, not whenever the API is declared."""
    from conformance.apis.searches.routes import emulate

    return emulate(backing)


def _machine(ctx: SuiteContext, tolerated: list[str]) -> type:
    """Imported when the state machine runs (it brings Hypothesis' stateful testing)."""
    from conformance.apis.searches.rules import searches_machine

    return searches_machine(ctx, tolerated)


def _probe(ctx: SuiteContext) -> Probe:
    """Imported when a probe runs (it brings pytest and requests)."""
    from conformance.apis.searches.probes import SearchProbe

    return SearchProbe(ctx)


_PREFLIGHT = (ApiRead("Searches", "/searches", unauthenticated=("/searches",)),)

API = Api(
    name="Searches",
    package=__name__,
    tags=("Searches",),
    catalogue="requirements.yaml",
    ids=Search,
    corpus="corpus.yaml",
    # The list shows the API is served; read without credentials it shows what authentication
    # does. (Asked once the reference server emulates the API: before, it serves no /searches.)
    preflight=_PREFLIGHT if _present("routes") else (),
    # A search goes to every user of the network it is sent on: never to real people by accident.
    peer_writes=(PeerWrite("searches", ("POST",), consent="searches"),),
    emulate=_emulate if _present("routes") else None,
    machine=_machine if _present("rules") else None,
    # The model's reads and rules (rules imports them), and the probes that are code.
    checks=(
        *(("conformance.apis.searches.rules",) if _present("rules") else ()),
        "conformance.apis.searches.suite.test_search_probes",
    ),
    probe=_probe,
)

"""What the engine asks of an API: one declaration per API package, and nothing else.

The engine (run, transport, results, reporting, specgen, requirements) and the shared checks
know no API by name; everything they need to know about one comes from that API's `Api`: its
requirements (data files beside it), the spec tags it checks behaviourally, what preflight
reads to see it is served, which writes the safe-writes profile may send for it, what a run
must undo on a live target, how the reference server emulates it, the state machine that
explores it, the modules and probes that register its checks (and the probe they get), how
Schemathesis' failures read on its operations, and the mutants of its emulation that the
checks must kill. Every part is optional, so an API grows from shapes only (its operations
checked generically against the spec) to behaviour by filling in its package.
`docs/architecture.md` has the checklist.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from importlib import import_module
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from conformance.transport.policy import PeerWrite, WriteShape
from conformance.transport.preflight import ApiRead

if TYPE_CHECKING:  # the reference server's and the suite's types, only to name them here
    from conformance.checks.context import SuiteContext
    from conformance.checks.probes import Probe
    from conformance.reference.clock import MonotonicClock
    from conformance.reference.network import Incoming, SoulseekNetwork
    from conformance.reference.options import ReferenceOptions
    from conformance.reference.routes import Operation, Route
    from conformance.reference.store import Store
    from conformance.reference.variants import Representation
    from conformance.results.exchange import Exchange
    from conformance.transport.session import GuardedSession


class Ledger(Protocol):
    """What a run changed on a live target for one API, learned from the exchanges themselves,
    so cleanup undoes exactly that (and leaves alone what was there before the run)."""

    def on_exchange(self, exchange: Exchange) -> None: ...

    def note_active(self, session: GuardedSession, base_url: str, usernames: tuple[str, ...]) -> None: ...

    def close_opened(self, session: GuardedSession, base_url: str, within: float | None = None) -> list[str]:
        """Undo what the run did (in at most `within` seconds if given: Ctrl-C was pressed);
        one finding per change it could not undo."""
        ...


@dataclass(frozen=True)
class Backing:
    """What the reference server lends an API's emulation: its options, storage, clock,
    representation and the simulated (or real) Soulseek network."""

    options: ReferenceOptions
    store: Store
    network: SoulseekNetwork
    clock: MonotonicClock
    representation: Representation


@dataclass(frozen=True)
class Emulation:
    """An API as the reference server serves it: its routes, the operations they name, and
    (when the API hears from the network) what it does with an incoming message."""

    routes: tuple[Route, ...]
    operations: Mapping[str, Operation]
    receive: Callable[[Incoming], None] | None = None


@dataclass(frozen=True)
class Api:
    """One API of slskd, as the engine sees it.

    `name` is the docs page's title; `tags` the spec tags whose operations this package checks
    behaviourally (a shapes-only API claims none: the generic checks take every operation no
    other API claims). Files (`catalogue`, `scenarios`, `reads`, `corpus`) are names inside `package`.
    Callables are called late (`emulate` when a reference server starts, `machine` when the
    state machine runs), so declaring an API costs an import of its declaration only.
    """

    name: str
    package: str  # dotted name of the package the data files sit in
    tags: tuple[str, ...] = ()
    catalogue: str | None = None  # requirements as data: `operations:` aliases and `requirements:`
    ids: type[StrEnum] | None = None  # its own requirement ids as constants, for its checks to name
    scenarios: str | None = None  # probes as data, run by `conformance.checks.scenarios`
    reads: str | None = None  # which documented reads may be sent to a live target, and why
    corpus: str | None = None  # mutants of its emulation and what must kill them (`conformance mutants`)
    preflight: tuple[ApiRead, ...] = ()  # reads that show the target serves the API
    writes: tuple[WriteShape, ...] = ()  # the writes the safe-writes profile may send
    # writes that reach real people (a search, a download): sent only where nobody real can be
    # reached or with their consent (`--allow-<consent>`), whatever the profile
    peer_writes: tuple[PeerWrite, ...] = ()
    ledger: Callable[[], Ledger] | None = None  # what the run changed, to undo at cleanup
    emulate: Callable[[Backing], Emulation] | None = None  # the reference server's emulation
    machine: Callable[[SuiteContext, list[str]], type] | None = None  # the state machine (ctx, tolerated)
    checks: tuple[str, ...] = ()  # modules whose import registers the API's checks
    # Schemathesis' generic checks: (operation label, failure code, requirement) where a failure
    # breaks one of the API's own requirements, and the failures that are refusals its docs allow
    failures: tuple[tuple[str, str, str], ...] = ()
    refusals: tuple[Callable[[Any, Any, Any], bool], ...] = ()  # (case, response, failure) → refused
    probes: tuple[Callable[[Probe], Any], ...] = ()  # probes the suite runs for this API
    probe: Callable[[SuiteContext], Probe] | None = None  # the Probe its probes and scenarios get

    def file(self, name: str | None) -> Path | None:
        """The package's data file `name` on disk (None when the API has none)."""
        return None if name is None else Path(str(files(self.package).joinpath(name)))


def late(target: str) -> Callable[..., Any]:
    """`"module:name"` as a callable that imports its module when first called, for an `Api`'s
    `emulate`, `machine` and `probe`: they bring the reference server, Hypothesis' stateful
    testing or pytest, and declaring an API must cost an import of its declaration only."""
    module, _, name = target.partition(":")

    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(import_module(module), name)(*args, **kwargs)

    call.__name__ = call.__qualname__ = f"late({target!r})"
    return call

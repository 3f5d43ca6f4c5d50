"""What the network knows was sent for searches, read from the run's network handle.

The engine hands the checks a `NetworkHandle`: the embedded server's simulated network, or the
control API of the `conformance network` a live target is proven on. Both keep the record of
`conformance.peers.record` (each FileSearch received, each response a peer sent, with the token
it carried and when) and list the sharing peers as the control API's `GET /peers` does; this
view reads them the same way from either, so the model judges both targets alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from conformance.checks.context import NetworkHandle, SuiteContext


@dataclass(frozen=True)
class SearchOracle:
    handle: NetworkHandle

    def searches(self) -> list[dict[str, Any]]:
        """Every search the network received, with the responses sent for it."""
        if self.handle.simulated is not None:
            log = self.handle.simulated.search_log()
            return [] if log is None else log.as_json()
        return self.handle.control.searches()

    def peers(self) -> list[dict[str, Any]]:
        """The network's peers (the sharing ones with their `shares`)."""
        if self.handle.simulated is not None:
            return list(self.handle.simulated.peers_view())
        return self.handle.control.peers()


def oracle(ctx: SuiteContext) -> SearchOracle | None:
    """The run's view of what crossed the network; None on a target with no simulated network."""
    return None if ctx.network is None else SearchOracle(ctx.network)


CONSENT = "searches"  # `--allow-searches`: the consent a search on a live target needs


def may_search(ctx: SuiteContext) -> bool:
    """Whether the run may POST searches: writes allowed and searches consented (the embedded
    server and a target proven on the simulated network always are; contract §7)."""
    return ctx.may_reach_peers(CONSENT)

"""Where a run can learn what the Soulseek network carried: the peer-facing checks' oracle.

A check of a peer-facing API compares what the target says with what crossed the network (the
queries it received, what each simulated peer sent back). Two places know that: the embedded
reference server's in-process simulation, and `conformance network`'s control API (a live target
given `--network-control`). The run hands the checks whichever it has (`SuiteContext.network`);
each API reads its own records from it. A live target on the real network has neither, and what
needs one is skipped there.
"""

from __future__ import annotations

from conformance.checks.context import NetworkHandle
from conformance.network.control_client import ControlClient
from conformance.reference.network import SoulseekNetwork


def network_handle(
    simulated: SoulseekNetwork | None, control_url: str | None, timeout: float
) -> NetworkHandle | None:
    """The embedded server's simulated network, else the control API's, else None."""
    if simulated is not None and simulated.search_log() is not None:
        return NetworkHandle(simulated=simulated)
    if control_url is not None:
        return NetworkHandle(control=ControlClient(control_url, timeout))
    return None

"""What the network knows it carried for downloads, read from the run's network handle.

The embedded server's simulated network and the control API of the `conformance network` a
live target is proven on both keep the record of `conformance.peers.transfer_log` (each
TransferRequest a peer received, what it answered, the offset it was asked for and the bytes it
sent) and list the sharing peers with how each uploads; this view reads them the same way from
either, so a download is judged alike on both targets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from conformance.checks.context import NetworkHandle, SuiteContext

CONSENT = "transfers"  # `--allow-transfers`: the consent a download from a live target's peers needs


@dataclass(frozen=True)
class TransferOracle:
    handle: NetworkHandle

    def transfers(self) -> list[dict[str, Any]]:
        """Every download request the network's peers received, oldest first."""
        if self.handle.simulated is not None:
            log = self.handle.simulated.transfer_log()
            return [] if log is None else log.as_json()
        return self.handle.control.transfers()

    def peers(self) -> list[dict[str, Any]]:
        """The network's peers (the sharing ones with their `shares` and `upload`)."""
        if self.handle.simulated is not None:
            return list(self.handle.simulated.peers_view())
        return self.handle.control.peers()


def oracle(ctx: SuiteContext) -> TransferOracle | None:
    """The run's view of what crossed the network; None on a target with no simulated network."""
    return None if ctx.network is None else TransferOracle(ctx.network)


def may_download(ctx: SuiteContext) -> bool:
    """Whether the run may enqueue downloads: writes allowed and transfers consented (the embedded
    server and a target proven on the simulated network always are)."""
    return ctx.may_reach_peers(CONSENT)

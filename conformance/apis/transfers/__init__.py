"""The Transfers API: slskd's downloads (and uploads) over the Soulseek network, behaviourally.

The requirements (`requirements.yaml`, their ids in `ids`) and the reference server's
emulation of the API (`routes`, over `emulation` and `stored`). `API` declares them to the
engine; the emulation is imported late (when a reference server starts).

Not yet among the built-in APIs (`conformance.apis.BUILT_IN`): registering it claims the
Transfers tag, so the generic reads of the Shapes page stop covering its operations, and every
requirement of its catalogue then needs a check (tests/test_registry.py); neither the checks nor
the probes exist yet. A test switches the emulation on by adding `API` to what the reference
server's app installs (tests/test_reference_transfers.py).
"""

from __future__ import annotations

from conformance.apis.interface import Api, Backing, Emulation
from conformance.apis.transfers.ids import Transfer
from conformance.transport.policy import PeerWrite
from conformance.transport.preflight import ApiRead


def _emulate(backing: Backing) -> Emulation:
    """Imported when a reference server starts, not whenever the API is declared."""
    from conformance.apis.transfers.routes import emulate

    return emulate(backing)


API = Api(
    name="Transfers",
    package=__name__,
    tags=("Transfers",),
    catalogue="requirements.yaml",
    ids=Transfer,
    # The list shows the API is served; read without credentials it shows what authentication does.
    preflight=(ApiRead("Transfers", "/transfers/downloads", unauthenticated=("/transfers/downloads",)),),
    # A download asks a real person's client for a file: never sent to real people by accident.
    peer_writes=(PeerWrite("transfers", ("POST",), consent="transfers"),),
    emulate=_emulate,
)

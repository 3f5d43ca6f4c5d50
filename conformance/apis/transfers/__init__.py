"""The Transfers API: slskd's downloads (and uploads) over the Soulseek network, behaviourally.

The requirements (`requirements.yaml`, their ids in `ids`), the model of a download (`model`,
reading slskd's JSON with `reading`) and what the network knows it carried for each (`oracle`),
the state machine of a client's downloads (`rules`), the probe (`probes`) and the probes that
are code (`suite`: those needing no peer, and one download from each kind of simulated peer),
the mutants of its emulation (`corpus.yaml`), and the reference server's emulation of the API
(`routes`, over `emulation` and `stored`). `API` declares them to the engine; the emulation and
the machine are imported late (when a reference server starts, when the machine runs).
"""

from __future__ import annotations

from conformance.apis.interface import Api, late
from conformance.apis.transfers.ids import Transfer
from conformance.transport.policy import PeerWrite
from conformance.transport.preflight import ApiRead

API = Api(
    name="Transfers",
    package=__name__,
    tags=("Transfers",),
    catalogue="requirements.yaml",
    ids=Transfer,
    corpus="corpus.yaml",
    # The list shows the API is served; read without credentials it shows what authentication does.
    preflight=(ApiRead("Transfers", "/transfers/downloads", unauthenticated=("/transfers/downloads",)),),
    # A download asks a real person's client for a file: never sent to real people by accident.
    peer_writes=(PeerWrite("transfers", ("POST",), consent="transfers"),),
    emulate=late("conformance.apis.transfers.routes:emulate"),
    machine=late("conformance.apis.transfers.rules:downloads_machine"),
    # The machine's rules, and the probes that are code (needing no peer; downloads from the peers).
    checks=(
        "conformance.apis.transfers.rules",
        "conformance.apis.transfers.suite.test_transfer_probes",
        "conformance.apis.transfers.suite.test_transfer_downloads",
        "conformance.apis.transfers.suite.test_transfer_limits",
    ),
    probe=late("conformance.apis.transfers.probes:TransferProbe"),
)

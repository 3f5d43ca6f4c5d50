"""The Searches API: slskd's file searches on the Soulseek network, checked behaviourally.

The requirements (`requirements.yaml`, their ids in `ids`), the probe (`probes`) and the
probes that are code (`suite`), the mutants of its emulation (`corpus.yaml`), the reference
server's emulation of the API (`routes`) and the state machine that compares a server with
what the simulated network knows was sent (`rules`). `API` declares them to the engine; the
emulation and the model are imported late (when a reference server starts, when the state
machine runs), so declaring the API costs an import of its declaration only.
"""

from __future__ import annotations

from conformance.apis.interface import Api, late
from conformance.apis.searches.ids import Search
from conformance.apis.searches.ledger import SearchLedger
from conformance.transport.policy import PeerWrite
from conformance.transport.preflight import ApiRead

API = Api(
    name="Searches",
    package=__name__,
    tags=("Searches",),
    catalogue="requirements.yaml",
    ids=Search,
    corpus="corpus.yaml",
    # The list shows the API is served; read without credentials it shows what authentication does.
    preflight=(ApiRead("Searches", "/searches", unauthenticated=("/searches",)),),
    # A search goes to every user of the network it is sent on: never to real people by accident.
    ledger=SearchLedger,
    peer_writes=(PeerWrite("searches", ("POST",), consent="searches"),),
    emulate=late("conformance.apis.searches.routes:emulate"),
    machine=late("conformance.apis.searches.rules:searches_machine"),
    # The model's reads and rules (rules imports them), and the probes that are code.
    checks=(
        "conformance.apis.searches.rules",
        "conformance.apis.searches.suite.test_search_probes",
        "conformance.apis.searches.suite.test_search_peers",
    ),
    probe=late("conformance.apis.searches.probes:SearchProbe"),
)

"""The Conversations API: slskd's private messages, checked behaviourally.

The model (`model`) and how a server is read (`reading`) and compared with it (`comparison`,
`listing`), the state machine's steps (`steps`) and rules (`rules`) over a pool of usernames
(`usernames`), the requirements (`requirements.yaml`, their ids in `ids`), the probe
(`probes`) and the probes that are code (`suite`) or data (`scenarios.yaml`), the message
texts they send (`texts`), the mutants of its emulation (`corpus.yaml`), what a run opens and
closes again (`ledger`), how Schemathesis' failures read on it (`generated`), and the
reference server's emulation of the API (`emulation`, served by `routes`). `API` declares
them to the engine.
"""

from __future__ import annotations

from conformance.apis.conversations.generated import FAILURES, refuses_a_blank_username
from conformance.apis.conversations.ids import Conv
from conformance.apis.conversations.ledger import ConversationLedger
from conformance.apis.interface import Api, late
from conformance.transport.policy import WriteShape
from conformance.transport.preflight import ApiRead

# A username nobody has a conversation with: fixed, never drawn, so that runs replay exactly.
PREFLIGHT_USER = "slskd-conformance-preflight"

API = Api(
    name="Conversations",
    package=__name__,
    tags=("Conversations",),
    catalogue="requirements.yaml",
    ids=Conv,
    scenarios="scenarios.yaml",
    corpus="corpus.yaml",
    # The list shows the API is served (404: it is not; 403: a relay agent); the three reads
    # without credentials show what authentication does, asked about a user nobody talks to.
    preflight=(
        ApiRead(
            "Conversations",
            "/conversations",
            unauthenticated=(
                "/conversations",
                f"/conversations/{PREFLIGHT_USER}",
                f"/conversations/{PREFLIGHT_USER}/messages",
            ),
        ),
    ),
    # Send, acknowledge (one or all) and close: each touches one peer's conversation only.
    writes=(WriteShape("conversations", ("POST", "PUT", "DELETE")),),
    ledger=ConversationLedger,
    emulate=late("conformance.apis.conversations.routes:emulate"),
    machine=late("conformance.apis.conversations.rules:conversations_machine"),
    # The state machine's reads (comparison) and steps and rules (rules imports them all),
    # and the probes that are code.
    checks=(
        "conformance.apis.conversations.comparison",
        "conformance.apis.conversations.rules",
        "conformance.apis.conversations.suite.test_probes",
        "conformance.apis.conversations.suite.test_usernames",
        "conformance.apis.conversations.suite.test_auth",
    ),
    probe=late("conformance.apis.conversations.probes:ConversationProbe"),
    failures=FAILURES,
    refusals=(refuses_a_blank_username,),
)

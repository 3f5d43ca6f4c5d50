"""The Users API: what slskd learns of other Soulseek users, from the server and from their clients.

The requirements (`requirements.yaml`, their ids in `ids`), the model of what a browse, a folder's
contents, a user info, a status and an endpoint must show (`model`, reading slskd's JSON with
`reading`), what the network's peers share and are (`oracle`), the probe (`probes`) and the
probes that are code (`suite`: each kind of peer, each kind of folder, the refusals, and drawn
usernames and folders judged by the model), the mutants of its emulation (`corpus.yaml`), and
the reference server's emulation of the API (`routes`, over `emulation`). `API` declares them
to the engine; the emulation is imported when a reference server starts.
"""

from __future__ import annotations

from conformance.apis.interface import Api, late
from conformance.apis.users.ids import User
from conformance.transport.policy import PeerWrite

API = Api(
    name="Users",
    package=__name__,
    tags=("Users",),
    catalogue="requirements.yaml",
    ids=User,
    corpus="corpus.yaml",
    # A browse, a user info and a folder's contents ask a real person's client, a status and an
    # endpoint the server about them: never by accident. Only a browse's progress stays in slskd.
    peer_writes=(
        PeerWrite("users", ("GET", "HEAD", "POST"), consent="users", local=(("browse", "status"),)),
    ),
    emulate=late("conformance.apis.users.routes:emulate"),
    checks=(
        "conformance.apis.users.suite.test_user_probes",
        "conformance.apis.users.suite.test_user_drawn",
    ),
    probe=late("conformance.apis.users.probes:UsersProbe"),
)

"""The Rooms API: slskd's chat rooms on the Soulseek server, behaviourally.

The requirements (`requirements.yaml`, their ids in `ids`), the model of a joined room
(`model`: what its users and messages must be, given what the network says happened in it) and
the network's view of its rooms (`oracle`), the probe (`probes`) and the probes that are code
(`suite`: rooms not joined, a join with its members and chatter, a message said, a refused
join, a private room, the server's list, the messages kept), the state machine of a client's
rooms (`rules`), the mutants of its emulation (`corpus.yaml`), and the reference server's
emulation of the API (`routes`, over `emulation`). Its reads are no generic reads, so they need
no read decisions: the probes send `GET rooms/available` (it asks the Soulseek server) only
where rooms may be joined. `API` declares them to the engine; the emulation, the machine and the probe are
imported late.
"""

from __future__ import annotations

from conformance.apis.interface import Api, late
from conformance.apis.rooms.ids import Room
from conformance.transport.policy import PeerWrite
from conformance.transport.preflight import ApiRead

CONSENT = "rooms"  # `--allow-rooms`: joining a room and talking in it reach real people


API = Api(
    name="Rooms",
    package=__name__,
    tags=("Rooms",),
    catalogue="requirements.yaml",
    ids=Room,
    corpus="corpus.yaml",
    # The joined rooms are local (the tracker): they show the API is served, read without
    # credentials they show what authentication does.
    preflight=(ApiRead("Rooms", "/rooms/joined", unauthenticated=("/rooms/joined",)),),
    # A join, a message, a ticker or a member added is seen by every member of a real room.
    peer_writes=(PeerWrite("rooms", ("POST", "DELETE"), consent=CONSENT),),
    emulate=late("conformance.apis.rooms.routes:emulate"),
    machine=late("conformance.apis.rooms.rules:rooms_machine"),
    checks=(
        "conformance.apis.rooms.rules",
        "conformance.apis.rooms.suite.test_room_probes",
    ),
    probe=late("conformance.apis.rooms.probes:RoomProbe"),
)

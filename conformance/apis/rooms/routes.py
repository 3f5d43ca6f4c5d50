"""The Rooms API in the reference server: its routes and the operations they name.

The routes are slskd's (RoomsController): `rooms/available` asks the server, everything under
`rooms/joined` reads or changes the rooms the client is in.
"""

from __future__ import annotations

from conformance.apis.interface import Backing, Emulation
from conformance.apis.rooms.emulation import RoomsApi
from conformance.reference.routes import API, Operation, Route

ROOMS = (*API, "rooms")
JOINED = (*ROOMS, "joined")
ROOM = (*JOINED, "{roomName}")
ROUTES = (
    Route((*ROOMS, "available"), {"GET": "rooms_available"}),
    Route(JOINED, {"GET": "rooms_joined", "POST": "join_room"}),
    Route(ROOM, {"GET": "get_room", "DELETE": "leave_room"}),
    Route((*ROOM, "users"), {"GET": "room_users"}),
    Route((*ROOM, "messages"), {"GET": "room_messages", "POST": "say_in_room"}),
    Route((*ROOM, "ticker"), {"POST": "set_room_ticker"}),
    Route((*ROOM, "members"), {"POST": "add_room_member"}),
)


def emulate(backing: Backing) -> Emulation:
    """The ten operations over the server's network."""
    r = RoomsApi(backing.options, backing.network, backing.representation)
    operations = {
        "rooms_available": Operation(r.available),
        "rooms_joined": Operation(r.list_joined),
        "join_room": Operation(r.join, reads_body=True),
        "get_room": Operation(r.get_room),
        "leave_room": Operation(r.leave),
        "room_users": Operation(r.users),
        "room_messages": Operation(r.messages),
        "say_in_room": Operation(r.say, reads_body=True),
        "set_room_ticker": Operation(r.ticker, reads_body=True),
        "add_room_member": Operation(r.add_member, reads_body=True),
    }
    return Emulation(ROUTES, operations)

"""The Users API in the reference server: its routes and the operations they name.

The routes are slskd's (UsersController): five reads of `users/{username}/…` and the POST of a
folder's contents. `browse/status` is a literal route below `browse`.
"""

from __future__ import annotations

from conformance.apis.interface import Backing, Emulation
from conformance.apis.users.emulation import UsersApi
from conformance.reference.routes import API, Operation, Route

USER = (*API, "users", "{username}")
ROUTES = (
    Route((*USER, "browse"), {"GET": "browse"}),
    Route((*USER, "browse", "status"), {"GET": "browse_status"}),
    Route((*USER, "directory"), {"POST": "directory"}),
    Route((*USER, "endpoint"), {"GET": "endpoint"}),
    Route((*USER, "info"), {"GET": "info"}),
    Route((*USER, "status"), {"GET": "status"}),
)


def emulate(backing: Backing) -> Emulation:
    """The six operations over the server's network."""
    users = UsersApi(backing.options, backing.network)
    operations = {
        "browse": Operation(users.browse),
        "browse_status": Operation(users.browse_status),
        "directory": Operation(users.directory, reads_body=True),
        "endpoint": Operation(users.endpoint),
        "info": Operation(users.info),
        "status": Operation(users.status),
    }
    return Emulation(ROUTES, operations)

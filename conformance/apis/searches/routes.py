"""The Searches API in the reference server: its routes and the operations they name.

The routes are slskd's (SearchesController), matched by the server's router like every other
route; `emulate` binds them to the emulation over the server's network, whose sharing peers
answer the searches (or, with `--soulseek`, the peers of a real Soulseek server).
"""

from __future__ import annotations

from conformance.apis.interface import Backing, Emulation
from conformance.apis.searches.emulation import SearchesApi
from conformance.apis.searches.search_request import refusing
from conformance.reference.routes import API, Operation, Route

SEARCHES = (*API, "searches")
ROUTES = (
    Route(SEARCHES, {"GET": "list_searches", "POST": "create_search"}),
    Route((*SEARCHES, "{id}"), {"GET": "get_search", "PUT": "cancel_search", "DELETE": "delete_search"}),
    Route((*SEARCHES, "{id}", "responses"), {"GET": "search_responses"}),
)


def emulate(backing: Backing) -> Emulation:
    """The six operations over the server's network."""
    s = SearchesApi(backing.options, backing.network, backing.representation)
    operations = {
        "list_searches": Operation(s.list_searches),
        "create_search": Operation(refusing(s.create), reads_body=True),
        "get_search": Operation(refusing(s.get_search)),
        "search_responses": Operation(s.responses),
        "cancel_search": Operation(s.cancel),
        "delete_search": Operation(s.delete),
    }
    return Emulation(ROUTES, operations)

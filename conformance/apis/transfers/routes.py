"""The Transfers API in the reference server: its routes and the operations they name.

The routes are slskd's (TransfersController). `all/completed` is a literal route beside
`{username}/{id}`: the router's literals outrank parameters, so DELETE …/all/completed is the
bulk removal and GET …/all/completed a lookup of the id `completed` (not a GUID).
"""

from __future__ import annotations

from conformance.apis.interface import Backing, Emulation
from conformance.apis.transfers.emulation import TransfersApi
from conformance.reference.routes import API, Operation, Route

DOWNLOADS = (*API, "transfers", "downloads")
UPLOADS = (*API, "transfers", "uploads")
ROUTES = (
    Route(DOWNLOADS, {"GET": "list_downloads"}),
    Route((*DOWNLOADS, "all", "completed"), {"DELETE": "remove_completed_downloads"}),
    Route((*DOWNLOADS, "{username}"), {"GET": "user_downloads", "POST": "enqueue_downloads"}),
    Route((*DOWNLOADS, "{username}", "{id}"), {"GET": "get_download", "DELETE": "cancel_download"}),
    Route((*DOWNLOADS, "{username}", "{id}", "position"), {"GET": "download_position"}),
    Route(UPLOADS, {"GET": "list_uploads"}),
    Route((*UPLOADS, "all", "completed"), {"DELETE": "remove_completed_uploads"}),
    Route((*UPLOADS, "{username}"), {"GET": "user_uploads"}),
    Route((*UPLOADS, "{username}", "{id}"), {"GET": "get_upload", "DELETE": "cancel_upload"}),
)


def emulate(backing: Backing) -> Emulation:
    """The twelve operations over the server's network."""
    t = TransfersApi(backing.options, backing.network, backing.representation)
    operations = {
        "list_downloads": Operation(t.list_downloads),
        "remove_completed_downloads": Operation(t.remove_completed),
        "user_downloads": Operation(t.user_downloads),
        "enqueue_downloads": Operation(t.enqueue, reads_body=True),
        "get_download": Operation(t.get_download),
        "cancel_download": Operation(t.cancel),
        "download_position": Operation(t.position),
        "list_uploads": Operation(t.list_uploads),
        "remove_completed_uploads": Operation(t.remove_completed_uploads),
        "user_uploads": Operation(t.user_uploads),
        "get_upload": Operation(t.get_upload),
        "cancel_upload": Operation(t.cancel_upload),
    }
    return Emulation(ROUTES, operations)

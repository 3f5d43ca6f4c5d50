"""The pages checked for their shapes only: every documented read answers a documented status
with a body its documented model allows.

Nine of slskd's fourteen docs pages are checked this way today. Their requirements are
not written here but derived from the merged spec, one `API-OP-*` per documented read
(`conformance.requirements.operations`), and this package holds what cannot be derived:
which of those reads may be sent to a live slskd, and why (`reads.yaml`). To check a page's
behaviour, give it a package of its own that claims its tag (`tags`), take the page out of
`PAGES` and move its reads' decisions along; `docs/architecture.md` has the checklist.
"""

from __future__ import annotations

from conformance.apis.interface import Api

# The docs pages (spec tags) checked for their shapes only.
PAGES = (
    "Application",
    "Logs",
    "Metrics",
    "Options",
    "PublicChat",
    "Relay",
    "Server",
    "Session",
    "Shares",
)

API = Api(name="Shapes", package=__name__, reads="reads.yaml")

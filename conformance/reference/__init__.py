"""The embedded reference slskd: the Conversations API as slskd documents it or as it behaves.

A target for the checker, not part of it: `ReferenceServer(ReferenceOptions(...))` serves
on 127.0.0.1, `create_app` gives the WSGI application, `FAULTS` lists the seeded bugs.
"""

from conformance.reference.faults import FAULTS
from conformance.reference.server import ReferenceOptions, ReferenceServer, create_app

__all__ = ["FAULTS", "ReferenceOptions", "ReferenceServer", "create_app"]

"""A compressing reverse proxy, as nginx, Caddy or Traefik often sit in front of slskd.

It forwards each request as it came (the raw target, the headers but the hop-by-hop ones
and Accept-Encoding, the body) to an upstream server that knows nothing of compression, and
gzips every answer with a body when the client accepts gzip (nginx's `gzip on;` with
`gzip_types *;`): the representation changes on the way, the behaviour must not. The
reference server's own `gzip` variant compresses inside the server; this is the layer apart.
"""

from __future__ import annotations

import gzip
import http.client
from dataclasses import dataclass
from urllib.parse import urlsplit

from conformance.reference.wire import accepts_coding
from tests.servers.local import Received, Reply

# Headers that belong to one connection (RFC 9110 §7.6.1), or that the proxy itself decides.
NOT_FORWARDED = {"connection", "keep-alive", "transfer-encoding", "te", "upgrade", "accept-encoding"}
NOT_RETURNED = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-type"}


@dataclass
class CompressingProxy:
    """`LocalServer(CompressingProxy(upstream_url).answer)`; `compressed` counts gzipped answers."""

    upstream: str
    compressed: int = 0

    def answer(self, request: Received) -> Reply:
        parts = urlsplit(self.upstream)
        connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
        headers = {name: v for name, v in request.headers.items() if name.lower() not in NOT_FORWARDED}
        try:
            connection.request(request.method, request.target, request.body or None, headers)
            upstream = connection.getresponse()
            body = upstream.read()
        finally:
            connection.close()
        returned = {name: v for name, v in upstream.getheaders() if name.lower() not in NOT_RETURNED}
        if body and accepts_coding(request.headers.get("Accept-Encoding"), "gzip"):
            body = gzip.compress(body)
            returned |= {"Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
            self.compressed += 1
        return Reply(upstream.status, body, upstream.getheader("Content-Type"), returned)

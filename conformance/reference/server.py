"""The reference slskd on a real socket: HTTP/1.1 with persistent connections, in a thread.

Like Kestrel, the server keeps a connection open across requests (HTTP/1.1 keep-alive) and
sends each answer in one write with `TCP_NODELAY`, so a client's session pays the TCP
handshake once, not per request. werkzeug's development server, used before, closes every
connection. Measured on the shared 2-core machine, a `requests.Session` loop of
`GET /api/v0/conversations`, interleaved rounds of 200 requests (min / median µs per
request): werkzeug 1,303 / 2,778; this server 444 / 626; waitress 3.0.2 1,511 / 2,404;
cheroot 11.1.2 634 / 2,158 (waitress and cheroot run the WSGI app; this server calls the
app's pipeline directly and writes the reply itself). The standard library's
`ThreadingHTTPServer` needs no new dependency and leaves the connection under our control:
`Connection: close` and chunked answers are representation variants (`variants.py`).

Request bodies are read whole before the application sees them, at most Kestrel's default
`MaxRequestBodySize` (30,000,000 bytes: slskd sets no other limit for these routes); a
longer body is answered 413 without being read, and that connection is then closed.
Threaded and silent: a conformance run sends a thousand requests or more, and a line per
request on stderr would cost more than the request.
"""

from __future__ import annotations

import io
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from conformance.peers.record import SearchLog
from conformance.reference.app import ReferenceApp, create_app
from conformance.reference.network import SoulseekNetwork
from conformance.reference.options import ReferenceOptions
from conformance.reference.wire import MAX_REQUEST_BODY, head_of

__all__ = ["NetworkView", "ReferenceOptions", "ReferenceServer", "create_app"]

LOOPBACK = "127.0.0.1"
SHUTDOWN_POLL_S = 0.05
IDLE_TIMEOUT_S = 130  # Kestrel's KeepAliveTimeout: an idle connection is closed after 130 s


class ReferenceHandler(BaseHTTPRequestHandler):
    """One connection: parse each request, run the app's pipeline, write the reply in one go."""

    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT_S
    server: _Listener

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except (ConnectionError, TimeoutError):
            self.close_connection = True

    def _serve(self) -> None:
        app = self.server.app
        try:
            environ, complete = self._environ()
        except ValueError:  # a Content-Length or chunk size that is not a number, as Kestrel: 400
            self.send_error(400)
            self.close_connection = True
            return
        reply = app.handle(environ)
        closing = not complete or app.representation.connection_close
        payload = b"" if self.command == "HEAD" else app.representation.payload(reply)
        self.wfile.write(head_of(reply, app.representation.headers(reply), close=closing) + payload)
        self.close_connection = self.close_connection or closing

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _serve

    def _environ(self) -> tuple[dict[str, Any], bool]:
        """The request as the app reads it (WSGI keys), and whether its body was read whole."""
        body, complete = self._body()
        path, _, query = self.path.partition("?")
        environ: dict[str, Any] = {
            "REQUEST_METHOD": self.command,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            # werkzeug's convention (UTF-8 bytes seen as latin-1), which wire.raw_path undoes
            "RAW_URI": self.path.encode("utf-8").decode("latin-1"),
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)) if complete else str(MAX_REQUEST_BODY + 1),
            "wsgi.input": io.BytesIO(body),
            "wsgi.input_terminated": True,  # the whole body, even when it came chunked
        }
        for name in dict.fromkeys(self.headers.keys()):
            key = "HTTP_" + name.upper().replace("-", "_")
            if key not in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"):
                environ[key] = ",".join(self.headers.get_all(name, []))
        return environ, complete

    def _body(self) -> tuple[bytes, bool]:
        """The body, up to the limit; (b"", False) when it is longer and was left unread."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._chunked()
        length = self.headers.get("Content-Length", "0").strip()
        if not length.isdigit():
            raise ValueError(f"Content-Length {length!r}")
        size = int(length)
        if size > MAX_REQUEST_BODY:
            return b"", False
        return self.rfile.read(size), True

    def _chunked(self) -> tuple[bytes, bool]:
        body = bytearray()
        while True:
            size = int(self.rfile.readline(64).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline(1024).strip():  # trailers
                    pass
                return bytes(body), True
            if len(body) + size > MAX_REQUEST_BODY:
                return b"", False
            body += self.rfile.read(size)
            self.rfile.readline(8)  # the CRLF after each chunk


class _Listener(ThreadingHTTPServer):
    daemon_threads = True
    app: ReferenceApp


class NetworkView:
    """The simulated network as the checker reads it: `searches()` (every FileSearch received,
    every response sent, `SearchLog.as_json()`) and `peers()` (shaped as `GET /peers` of the
    network's control API), the same view a `--network-control` run gets over HTTP."""

    def __init__(self, log: SearchLog, network: SoulseekNetwork) -> None:
        self._log = log
        self._network = network

    def searches(self) -> list[dict[str, Any]]:
        return self._log.as_json()

    def peers(self) -> list[dict[str, Any]]:
        return list(self._network.peers_view())


class ReferenceServer:
    """`with ReferenceServer(options) as server:` serves on `server.base_url` until the block ends."""

    def __init__(
        self, options: ReferenceOptions | None = None, *, host: str = LOOPBACK, port: int = 0
    ) -> None:
        self.options = options or ReferenceOptions()
        self._host = host
        self._port = port
        self._server: _Listener | None = None
        self._thread: threading.Thread | None = None
        self.app: ReferenceApp | None = None

    def start(self) -> ReferenceServer:
        """Bind (port 0: a free one) and serve in a daemon thread; OSError if the port is taken.

        ValueError for invalid options comes earlier, from ReferenceOptions.
        """
        if self._server is not None:
            return self
        server = _Listener((self._host, self._port), ReferenceHandler)
        try:
            server.app = create_app(self.options)
        except BaseException:
            server.server_close()
            raise
        self.app, self._server = server.app, server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": SHUTDOWN_POLL_S},
            name="reference-slskd",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        if self.app is not None:
            self.app.close()
        self._server = self._thread = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the reference server is not started")
        return f"http://{self._host}:{self._server.server_address[1]}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/api/v0"

    @property
    def logged_in(self) -> bool:
        """Whether the simulated instance is logged in to Soulseek; settable while serving."""
        return self._require_app().network.logged_in

    @logged_in.setter
    def logged_in(self, value: bool) -> None:
        self._require_app().network.logged_in = value

    def network_view(self) -> NetworkView | None:
        """What the in-process network knows was sent (the checker's oracle, contract §2), read
        in-process; None when the server is connected to a real Soulseek server (`--soulseek`),
        whose network shows it on its own control API."""
        network = self._require_app().network
        log = network.search_log()
        return None if log is None else NetworkView(log, network)

    def _require_app(self) -> ReferenceApp:
        if self.app is None:
            raise RuntimeError("the reference server is not started")
        return self.app

    def __enter__(self) -> ReferenceServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

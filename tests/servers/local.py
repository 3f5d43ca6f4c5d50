"""A threaded HTTP/1.1 server on 127.0.0.1 that answers with a handler function and records requests.

Recording the raw request target (not a parsed one) lets tests assert what really reached
the server, e.g. that the write guard let nothing forbidden through.
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType


@dataclass(frozen=True)
class Received:
    method: str
    target: str  # the raw request target, e.g. /api/v0/conversations/a%2Fb?x=1
    headers: dict[str, str]
    body: bytes
    connection: int  # which TCP connection carried it (counts keep-alive reuse)

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    chunks: Iterable[bytes] | None = None  # sent chunked, each as it comes (endless, trickling …)

    @classmethod
    def json(cls, text: str, status: int = 200) -> Reply:
        return cls(status, text.encode(), "application/json; charset=utf-8")


Handler = Callable[[Received], Reply]


class LocalServer:
    """`with LocalServer(handler) as server: requests.get(server.url + "/x")`."""

    def __init__(self, handler: Handler, tls: ssl.SSLContext | None = None, host: str = "127.0.0.1") -> None:
        """`host`: another loopback address (127.0.0.2) is another origin on the same machine."""
        self.received: list[Received] = []
        self._httpd = ThreadingHTTPServer((host, 0), _request_handler(handler, self.received))
        self._httpd.daemon_threads = True
        if tls is not None:
            self._httpd.socket = tls.wrap_socket(self._httpd.socket, server_side=True)
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.02,), daemon=True)
        self.scheme = "https" if tls else "http"

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"{self.scheme}://{host}:{port}"

    def __enter__(self) -> LocalServer:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def taken_port() -> Iterator[int]:
    """A port on 127.0.0.1 that something else listens on, for as long as the block runs."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield int(taken.getsockname()[1])


def _request_handler(handler: Handler, received: list[Received]) -> type[BaseHTTPRequestHandler]:
    connections = iter(range(1, 1_000_000))

    class RequestHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as slskd's Kestrel does
        # One write per response, sent at once: no 40 ms Nagle/delayed-ACK stalls per request.
        wbufsize = 64 * 1024
        disable_nagle_algorithm = True

        def setup(self) -> None:
            super().setup()
            self.connection_id = next(connections)

        def handle_one_request(self) -> None:
            self.raw_requestline = self.rfile.readline(65537)
            if not self.raw_requestline or not self.parse_request():
                self.close_connection = True
                return
            length = int(self.headers.get("Content-Length") or 0)
            request = Received(
                self.command,
                self.path,
                dict(self.headers.items()),
                self.rfile.read(length),
                self.connection_id,
            )
            received.append(request)
            reply = handler(request)
            self.send_response(reply.status)
            if reply.content_type:
                self.send_header("Content-Type", reply.content_type)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if reply.chunks is not None:
                self._send_chunked(reply.chunks)
                return
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            try:
                if self.command != "HEAD":
                    self.wfile.write(reply.body)
                self.wfile.flush()
            except OSError:  # the client stopped reading (a size limit): not the server's error
                self.close_connection = True

        def _send_chunked(self, chunks: Iterable[bytes]) -> None:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.close_connection = True
            try:
                for chunk in chunks:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
            except OSError:  # the client stopped reading: that is what the test wanted
                return

        def finish(self) -> None:
            try:
                super().finish()
            except OSError:  # the client hung up first (it stopped reading on purpose)
                self.close_connection = True

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: tests read `received`, not stderr."""

    return RequestHandler


@contextmanager
def black_hole(host: str = "127.0.0.1") -> Iterator[int]:
    """A port on `host` where a connection is never answered, for as long as the block runs: it
    listens but never accepts, and its backlog is filled, so the kernel drops every further
    SYN, as a firewall that drops packets would (a connect hangs until its timeout)."""
    with socket.socket() as listener, ExitStack() as fillers:
        listener.bind((host, 0))
        listener.listen(0)
        port = int(listener.getsockname()[1])
        for _ in range(64):
            filler = fillers.enter_context(socket.socket())
            filler.settimeout(0.2)
            try:
                filler.connect((host, port))
            except TimeoutError:  # the backlog is full: this SYN was dropped
                break
        yield port

"""The reference slskd on a real socket: werkzeug's threaded server in a background thread.

Threaded and silent: a conformance run sends a thousand requests or more, and a line per
request on stderr would cost more than the request. werkzeug closes the connection after
every response (it cannot tell whether the application read the whole body); a request
costs about 2 ms on loopback all the same.
"""

from __future__ import annotations

import socket
import threading
from types import TracebackType

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from conformance.reference.app import ReferenceApp, create_app
from conformance.reference.options import ReferenceOptions

__all__ = ["ReferenceOptions", "ReferenceServer", "create_app"]

LOOPBACK = "127.0.0.1"
SHUTDOWN_POLL_S = 0.05


class QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class ReferenceServer:
    """`with ReferenceServer(options) as server:` serves on `server.base_url` until the block ends."""

    def __init__(
        self, options: ReferenceOptions | None = None, *, host: str = LOOPBACK, port: int = 0
    ) -> None:
        self.options = options or ReferenceOptions()
        self._host = host
        self._port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.app: ReferenceApp | None = None

    def start(self) -> ReferenceServer:
        """Bind (port 0: a free one) and serve in a daemon thread; OSError if the port is taken.

        ValueError for invalid options comes earlier, from ReferenceOptions.
        """
        if self._server is not None:
            return self
        # Bound here, not by werkzeug: on a taken port werkzeug prints and calls sys.exit(1).
        listener = socket.create_server((self._host, self._port))
        app = create_app(self.options)
        try:
            server = make_server(
                self._host, self._port, app, threaded=True, request_handler=QuietHandler, fd=listener.fileno()
            )
        except BaseException:
            app.close()
            raise
        finally:
            listener.close()  # werkzeug serves on its own duplicate of the descriptor
        self.app, self._server = app, server
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

"""The network's control API: small HTTP/JSON on loopback, for checkers and tests.

- `GET /sessions`: who is logged in: username, the connection's remote address and port, the
  listen port and status it announced;
- `GET /accounts/{username}`: what the account sent, was delivered (new or replayed),
  acknowledged, and how many of each command code it sent;
- `GET /unimplemented`: each request code the network does not carry out, how often and from
  whom, and the refusal it answered with (`null`: none, so the client waited for its timeout);
  a run reads it to tell "the network did not answer" from "the target failed";
- `GET /peers`: the simulated peers and the messages each received (held, for an offline peer);
- `GET /rooms`: each chat room (`conformance.network.rooms`) as it is now: `name`; `members`,
  everyone in it now as slskd's UserData (`username`, `status`, `averageSpeed`, `uploadCount`,
  `fileCount`, `directoryCount`, `slotsFree`, `countryCode`): the room's library members and the
  chatter's visitors still there, then the logged-in clients in the order they came; `clients`,
  the usernames of those clients; `joinedAfter` (`{username: n}`: how many of the room's
  messages each client's join came after, where what it heard begins); `chatter` (`{act:
  say|join|leave, username, message}`, what plays after each client's join); `refuses`,
  `private`, `owner`, `operators`; `messages`, every message said in it since the network
  started, the chatter's and the clients', in the order the server fanned them out (`{username,
  message}`); `tickers` (`{username, ticker}`, the latest each client set) and `added` (the
  users PrivateRoomAddUser named, in order);
- `GET /searches` (`?token=`), `GET /transfers` (`?peer=`): what the sharing peers know was sent
  for searches and for download requests (`conformance.peers.record`, `.transfer_log`);
- `POST /peers/{peer}/messages` `{"to": U, "message": T, "count": N}`: the peer sends N messages
  to U now → 201 `{"ids": [...]}`;
- `DELETE /sessions/{username}`: kick that session (204; 404 when it is not logged in);
- `POST /sessions/{username}/disconnect`: close its connection without a kick, as a network
  failure would (a client that reconnects logs in again and gets its unacknowledged messages
  replayed).

Loopback only, always: it can inject messages and end sessions. The handler never touches the
network's state itself; it asks the server's loop thread (`NetworkServer.call`).
"""

from __future__ import annotations

import json
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote

from conformance.network.server import NetworkServer

LOOPBACK = "127.0.0.1"
MAX_COUNT = 1000  # messages one request may make a peer send
MAX_BODY = 64 * 1024


class ControlError(Exception):
    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status


class ControlApi:
    """The routes, as plain methods over a running `NetworkServer`."""

    def __init__(self, server: NetworkServer) -> None:
        self.server = server

    def handle(self, method: str, path: str, body: bytes) -> tuple[HTTPStatus, Any]:
        parts = [unquote(part) for part in path.split("?", 1)[0].strip("/").split("/")]
        network = self.server.network
        match method, parts:
            case "GET", ["sessions"]:
                return HTTPStatus.OK, self.server.call(network.sessions)
            case "GET", ["unimplemented"]:
                return HTTPStatus.OK, self.server.call(network.unimplemented_view)
            case "GET", ["peers"]:
                sharing = self.server.sharing
                return HTTPStatus.OK, self.server.call(network.peer_view) + (
                    sharing.view() if sharing else []
                )
            case "GET", ["rooms"]:
                return HTTPStatus.OK, self.server.call(self.server.rooms.view)
            case "GET", ["searches"]:
                return HTTPStatus.OK, self._searches(path)
            case "GET", ["transfers"]:
                peer = parse_qs(path.partition("?")[2]).get("peer", [None])[0]
                sharing = self.server.sharing
                return HTTPStatus.OK, sharing.uploads.log.as_json(peer) if sharing else []
            case "GET", ["accounts", username]:
                account = self.server.call(network.account, username)
                if account is None:
                    raise ControlError(HTTPStatus.NOT_FOUND, f"no account {username!r}")
                return HTTPStatus.OK, account
            case "DELETE", ["sessions", username]:
                if not self.server.call(network.kick, username):
                    raise ControlError(HTTPStatus.NOT_FOUND, f"{username!r} is not logged in")
                return HTTPStatus.NO_CONTENT, None
            case "POST", ["sessions", username, "disconnect"]:
                if not self.server.call(network.disconnect, username):
                    raise ControlError(HTTPStatus.NOT_FOUND, f"{username!r} is not logged in")
                return HTTPStatus.NO_CONTENT, None
            case "POST", ["peers", peer, "messages"]:
                return HTTPStatus.CREATED, {"ids": self._peer_sends(peer, body)}
        raise ControlError(HTTPStatus.NOT_FOUND, f"no route {method} /{'/'.join(parts)}")

    def _searches(self, path: str) -> list[dict[str, Any]]:
        """What the network knows was sent for searches (`?token=N`: that search's only)."""
        query = parse_qs(path.partition("?")[2])
        token = query.get("token", [None])[0]
        if token is not None and not token.isdigit():
            raise ControlError(HTTPStatus.BAD_REQUEST, "token must be a whole number")
        sharing = self.server.sharing
        return sharing.log.as_json(None if token is None else int(token)) if sharing else []

    def _peer_sends(self, peer: str, body: bytes) -> list[int]:
        if peer not in self.server.network.peers:
            raise ControlError(HTTPStatus.NOT_FOUND, f"no simulated peer {peer!r}")
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            raise ControlError(HTTPStatus.BAD_REQUEST, "the body is not JSON") from None
        if not isinstance(request, dict):
            request = {}
        to, text = request.get("to"), request.get("message", f"hello from {peer}")
        count = request.get("count", 1)
        if not isinstance(to, str) or not to or not isinstance(text, str):
            raise ControlError(HTTPStatus.BAD_REQUEST, 'expected {"to": user, "message": text, "count": n}')
        if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_COUNT:
            raise ControlError(HTTPStatus.BAD_REQUEST, f"count must be an integer from 1 to {MAX_COUNT}")
        return self.server.call(self.server.network.peer_sends, peer, to, text, count)


class _Handler(BaseHTTPRequestHandler):
    api: ControlApi  # set on the subclass the server is built with

    def _respond(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            if length > MAX_BODY:
                raise ControlError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "body too large")
            status, payload = self.api.handle(self.command, self.path, self.rfile.read(length))
        except ControlError as error:
            status, payload = error.status, {"error": str(error)}
        body = b"" if payload is None else json.dumps(payload).encode()
        self.send_response(status)
        if payload is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_DELETE = _respond

    def log_message(self, format: str, *args: Any) -> None:
        pass  # a checker polls: a line per request would drown the network's own log lines


class ControlServer:
    """The control API on `LOOPBACK:port` in a daemon thread."""

    def __init__(self, network: NetworkServer, port: int = 0) -> None:
        handler = type("Handler", (_Handler,), {"api": ControlApi(network)})
        self._httpd = ThreadingHTTPServer((LOOPBACK, port), handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="network-control", daemon=True)

    def start(self) -> ControlServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self._httpd.server_address[1]}"

    def __enter__(self) -> ControlServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

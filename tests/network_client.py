"""A raw Soulseek client for the network's tests: frames in, frames out, nothing hidden."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any

from conformance.network import messages
from conformance.network.codec import Code, Frame, Payload, read_frame
from conformance.network.server import NetworkServer

TIMEOUT_S = 5.0


class RawClient:
    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), TIMEOUT_S)
        self.sock.settimeout(TIMEOUT_S)
        self.port = int(self.sock.getsockname()[1])

    def send(self, *frames: bytes) -> None:
        self.sock.sendall(b"".join(frames))

    def frame(self) -> Frame:
        return read_frame(self.sock)

    def expect(self, code: Code) -> Payload:
        """The payload of the next frame with this code (others skipped, at most 50)."""
        for _ in range(50):
            frame = self.frame()
            if frame.code == code:
                return frame.reader()
        raise AssertionError(f"no frame with code {code!r}")

    def login(self, username: str, password: str = "pw") -> messages.LoginResult:
        self.send(messages.login_request(username, password), messages.set_listen_port(40000))
        return messages.read_login_response(self.expect(Code.LOGIN))

    def closed_by_server(self) -> bool:
        """True when the server closes the connection (reads and drops anything before that)."""
        try:
            while self.sock.recv(65536):
                pass
        except (TimeoutError, ConnectionError):
            return False
        return True

    def close(self) -> None:
        self.sock.close()


def logged_in(network: NetworkServer, username: str, password: str = "pw") -> RawClient:
    client = RawClient(network.port)
    assert client.login(username, password).succeeded
    return client


def room_view(network: NetworkServer, name: str) -> dict[str, Any]:
    """The room `name` as the control API's `GET /rooms` shows it now."""
    (found,) = [room for room in network.call(network.rooms.view) if room["name"] == name]
    return found


def eventually(condition: Callable[[], object], what: str, timeout_s: float = TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)

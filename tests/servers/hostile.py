"""Targets that attack the checker: each handler is one way a hostile or broken server could
make a run leak a credential, repeat a write somewhere else, or hang or exhaust the machine.

They answer like slskd wherever the attack does not apply, so a run gets far enough for the
attack to matter.
"""

from __future__ import annotations

import base64
import itertools
import json
import socket
import threading
import time
import zlib
from collections.abc import Iterator
from functools import cache
from urllib.parse import quote

from tests.servers.fake_slskd import FakeSlskd
from tests.servers.local import Handler, Received, Reply


def redirect_to(other_origin: str, *, only: str | None = None, status: int = 307) -> Handler:
    """Answer `status` pointing at the same path on `other_origin`; other requests as slskd would.

    `only`: redirect only requests whose method is this one (e.g. only the writes).
    """
    slskd = FakeSlskd(api_key=None)

    def answer(request: Received) -> Reply:
        if only is None or request.method == only:
            return Reply(status, headers={"Location": f"{other_origin}{request.target}"})
        return slskd.answer(request)

    return answer


def huge_body(size: int) -> Handler:
    """An (empty, space-padded) JSON array of exactly `size` bytes, announced in Content-Length."""
    body = b"[" + b" " * (size - 2) + b"]"
    return lambda request: Reply(200, body, "application/json")


def huge_on(path_end: str, size: int) -> Handler:
    """An slskd that answers `size` bytes on routes ending in `path_end`: met mid-run, not in preflight."""
    slskd, huge = FakeSlskd(api_key=None), huge_body(size)
    return lambda request: huge(request) if request.path.endswith(path_end) else slskd.answer(request)


@cache
def gzip_bomb(inflated: int) -> bytes:
    """A gzip body about a thousandth of `inflated`, which inflates to a JSON array of `inflated`
    spaces and its brackets (padding: what it decodes to is harmless, only its size attacks). Compressed a
    megabyte at a time, so that making it holds no more than that either."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    megabyte = b" " * 1_000_000
    parts = [compressor.compress(b"[")]
    parts += [compressor.compress(megabyte[: inflated - at]) for at in range(0, inflated, len(megabyte))]
    return b"".join([*parts, compressor.compress(b"]"), compressor.flush()])


def gzip_on(path_end: str, body: bytes) -> Handler:
    """An slskd that answers `body`, said to be gzip, on routes ending in `path_end`, whatever
    the client accepts: met mid-run, not in preflight."""
    slskd = FakeSlskd(api_key=None)

    def answer(request: Received) -> Reply:
        if not request.path.endswith(path_end):
            return slskd.answer(request)
        return Reply(200, body, "application/json", {"Content-Encoding": "gzip"})

    return answer


def bomb_on(path_end: str, inflated: int) -> Handler:
    """A gzip bomb inflating to `inflated` bytes on routes ending in `path_end` (`gzip_on`)."""
    return gzip_on(path_end, gzip_bomb(inflated))


def endless_body(request: Received) -> Reply:
    """A chunked JSON array that never ends."""
    return Reply(200, content_type="application/json", chunks=_endless())


def _endless() -> Iterator[bytes]:
    yield b"["
    yield from itertools.repeat(b"0," * 32 * 1024)


def trickling_body(every: float) -> Handler:
    """A chunked body of one byte every `every` seconds: each socket read is quick, the whole never."""

    def drip() -> Iterator[bytes]:
        for _ in range(600):  # bounded: ten minutes at most even at one a second
            time.sleep(every)
            yield b" "

    return lambda request: Reply(200, content_type="application/json", chunks=drip())


def echoing(api_key: str) -> Handler:
    """An slskd that quotes the request's headers back in every encoding a leak could take.

    Its error answers (a 500 on the conversations list, 400s elsewhere) carry the headers raw,
    as JSON, percent-encoded, base64 and as an HTTP Basic credential, so every failure message,
    evidence body and report line that quotes a body would leak the key unless it is redacted.
    """
    slskd = FakeSlskd(api_key=api_key)

    def answer(request: Received) -> Reply:
        reply = slskd.answer(request)
        if request.path.endswith("/session/enabled") or reply.status == 401:
            return reply
        if request.path.rstrip("/").endswith("/conversations") or reply.status >= 400:
            return Reply(500, _echo(request).encode(), "application/json", {"X-Echo": _headers(request)})
        return reply

    return answer


def _headers(request: Received) -> str:
    return "; ".join(f"{name}: {value}" for name, value in request.headers.items())


def _echo(request: Received) -> str:
    """The credentials first (a message quoting a body's start quotes them), then every header."""
    headers = {name.lower(): value for name, value in request.headers.items()}
    key, authorization = headers.get("x-api-key", ""), headers.get("authorization", "")
    credentials = f"X-API-Key: {key}; Authorization: {authorization}"
    basic = base64.b64encode(f"slskd:{key}".encode()).decode()
    everything = _headers(request)
    return json.dumps(
        {
            "echo": credentials,
            "basic": f"Authorization: Basic {basic}",
            "percent": quote(credentials, safe=""),
            "base64": base64.b64encode(everything.encode()).decode(),
            "headers": everything,
        }
    )


class TricklingHeaders:
    """A raw HTTP server that sends its status line, then its headers one byte every `every`
    seconds: every socket read is quick, the headers never end (bounded to `most` bytes)."""

    def __init__(self, every: float = 1.0, most: int = 120) -> None:
        self._every, self._most = every, most
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def __enter__(self) -> TricklingHeaders:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._listener.close()
        self._thread.join(timeout=5)

    def _serve(self) -> None:
        try:
            client, _ = self._listener.accept()
        except OSError:  # closed before any client came
            return
        with client:
            client.recv(65536)
            header = b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"a" * self._most
            try:
                for byte in header:
                    client.sendall(bytes([byte]))
                    if self._stop.wait(self._every if byte == ord("a") else 0):
                        return
            except OSError:  # the client gave up: what the test wants
                return

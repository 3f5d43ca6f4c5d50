"""Reading an answer within a size and a total time, so no target can hang or exhaust the run.

`requests` reads a body whole into memory and its timeout bounds each socket read, not
the request: a 50 MB body, an endless chunked body or one chunk every two seconds would
exhaust memory or never end. The session streams every body through `read_body`, which
stops at `limit` bytes and at `deadline`, setting the socket's timeout to the time left
before each read.

A proxy in front of slskd (nginx, Caddy, Traefik) compresses JSON whenever the client
accepts it, and `requests` says it does (gzip, deflate). So a body in a `Content-Encoding`
urllib3 decodes (gzip and deflate; br and zstd when their library is installed) is decoded
here, by urllib3's decoders, as it arrives: each read from the socket is decoded `CHUNK`
bytes at a time, and `limit` counts the bytes on the wire and the decoded ones alike. A few
kilobytes of gzip that inflate to gigabytes stop at the limit, holding no more than it;
urllib3's own decoding read would go on reading, unbounded, while the bytes decode to nothing.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, DecodeError, NewConnectionError, ReadTimeoutError
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.response import ContentDecoder, HTTPResponse, MultiDecoder
from urllib3.util.connection import allowed_gai_family

from conformance.transport.watchdog import WATCHDOG

CHUNK = 64 * 1024
DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024


class ResponseTooLarge(requests.RequestException):
    """The answer's body is larger than --max-response-bytes; reading stopped there."""


class ResponseTooSlow(requests.Timeout):
    """The whole answer did not arrive within --timeout (a trickling or endless body)."""


# The answers `read_body` gives up on: too large, too slow, or not in the coding they name.
# Met mid-run, each stops the test that sent the request (the run is incomplete), said in one
# line; in preflight, each ends the run (`diagnosis.target_error`).
UNREADABLE = (ResponseTooLarge, ResponseTooSlow, requests.exceptions.ContentDecodingError)


def read_body(response: requests.Response, *, deadline: float, limit: int) -> bytes:
    """The decoded body of a streamed `response`, read whole unless it exceeds `limit` or `deadline`.

    Raises `ResponseTooLarge` or `ResponseTooSlow` (the connection is closed, nothing is
    kept); a broken connection is a `requests.ConnectionError` and a body that does not
    decode a `requests.exceptions.ContentDecodingError`, as `requests` would raise.
    """
    what = _answer_to(response)
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        response.close()
        raise ResponseTooLarge(
            f"{what} declares {int(declared):,} bytes, over the limit of {limit:,} "
            "(--max-response-bytes); it was not read"
        )
    encoding = response.headers.get("Content-Encoding", "").strip().lower()
    decoder = _decoder(encoding)
    too_large = f"{what} is larger than the limit of {limit:,} bytes (--max-response-bytes)"
    chunks: list[bytes] = []
    wire = size = 0
    try:
        while True:
            remaining = deadline - time.monotonic()
            late = ResponseTooSlow(f"{what} did not arrive whole within the timeout; raise --timeout")
            if remaining <= 0:
                raise late
            _set_read_timeout(response, remaining)
            try:
                data = response.raw.read1(CHUNK, decode_content=False)
            except (ReadTimeoutError, TimeoutError):
                raise late from None
            except Urllib3Error as error:
                raise requests.ConnectionError(error, response=response) from None
            wire += len(data)
            if wire > limit:
                raise ResponseTooLarge(f"{too_large}; reading stopped there")
            for piece in _decoded(decoder, data, response):
                size += len(piece)
                if size > limit:
                    raise ResponseTooLarge(f"{too_large} once decoded ({encoding}); reading stopped there")
                chunks.append(piece)
            if not data:
                return b"".join(chunks)
    except requests.RequestException:
        response.close()
        raise


def _answer_to(response: requests.Response) -> str:
    method = response.request.method if response.request else "GET"
    return f"the answer to {method} {response.url}"


def _decoder(encoding: str) -> ContentDecoder | None:
    """urllib3's decoder for a `Content-Encoding` it knows (each coding of a list), else None:
    a body in a coding nobody here decodes is kept as it came, for the checks to judge."""
    codings = [coding.strip() for coding in encoding.split(",")]
    if not encoding or not all(coding in HTTPResponse.CONTENT_DECODERS for coding in codings):
        return None
    try:
        return MultiDecoder(encoding)
    except DecodeError:  # a chain longer than urllib3 decodes (five codings)
        return None


def _decoded(decoder: ContentDecoder | None, data: bytes, response: requests.Response) -> Iterator[bytes]:
    """What `data` decodes to, `CHUNK` bytes at a time, so that the caller can stop between
    any two; b"" (the end of the body) flushes the decoder."""
    if decoder is None:
        yield data
        return
    last, pending = not data, data
    try:
        while True:
            piece = decoder.decompress(pending, max_length=CHUNK)
            pending = b""
            yield piece
            if not piece or not decoder.has_unconsumed_tail:
                break
        if last:
            yield decoder.flush()
    except (DecodeError, *HTTPResponse.DECODER_ERROR_CLASSES) as error:
        raise requests.exceptions.ContentDecodingError(
            f"{_answer_to(response)} does not decode as its Content-Encoding "
            f"{response.headers.get('Content-Encoding')!r} says: {error}",
            response=response,
        ) from None


def _set_read_timeout(response: requests.Response, seconds: float) -> None:
    """Bound the next socket read by the time left (urllib3 keeps the connection while streaming)."""
    connection = getattr(response.raw, "connection", None)
    sock = getattr(connection, "sock", None)
    if sock is not None:
        sock.settimeout(max(seconds, 0.001))


# --- the connection and the headers, within the same deadline ---------------------------------
# urllib3 bounds each socket read while it reads the status line and headers, so a target
# sending one header byte a second would never time out. A connection of `DeadlineAdapter`
# has the watchdog shut its socket down when the request's deadline (set by `headers_by`)
# passes first. And urllib3 tries each address a host name resolves to in turn, giving every
# attempt the whole connect timeout: a name with three addresses that never answer took three
# times --timeout to fail. A connection of `DeadlineAdapter` gives each attempt the time left.

_deadline: ContextVar[float | None] = ContextVar("conformance_header_deadline", default=None)


@contextmanager
def headers_by(deadline: float) -> Iterator[None]:
    """Requests sent inside must be connected and have their headers by `deadline`
    (`time.monotonic()`), however many addresses their connection tries."""
    token = _deadline.set(deadline)
    try:
        yield
    finally:
        _deadline.reset(token)


class _HeaderDeadline:
    """`getresponse` that the watchdog cuts short at the deadline, whatever each read's timeout."""

    sock: socket.socket | None

    def getresponse(self) -> Any:
        deadline = _deadline.get()
        if deadline is None or self.sock is None:
            return super().getresponse()  # type: ignore[misc]
        watch = WATCHDOG.arm(self.sock, deadline)
        try:
            response = super().getresponse()  # type: ignore[misc]
        except Exception:
            if WATCHDOG.disarm(watch):  # what broke was the watchdog's doing: the answer was too slow
                raise TimeoutError("no answer within the timeout") from None
            raise
        if WATCHDOG.disarm(watch):  # headers cut short by the shutdown read as complete: they are not
            response.close()
            raise TimeoutError("no answer within the timeout")
        return response


class _ConnectDeadline:
    """`_new_conn` whose attempts, one per address of the host, share the request's deadline."""

    host: str
    port: int
    timeout: float | None
    _dns_host: str

    def _new_conn(self) -> socket.socket:
        deadline = _deadline.get()
        if deadline is None:
            return super()._new_conn()  # type: ignore[misc]
        name, timeout = self._dns_host, self.timeout
        try:
            found = socket.getaddrinfo(name.strip("[]"), self.port, allowed_gai_family(), socket.SOCK_STREAM)
        except (OSError, UnicodeError):  # urllib3 tells a name that does not resolve its own way
            return super()._new_conn()  # type: ignore[misc]
        failure: Exception = ConnectTimeoutError(self, f"Connection to {self.host} timed out (the deadline)")
        try:
            for *_, address in found:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                # urllib3's own attempt, at one address and for the time left (a numeric host
                # resolves to itself): its socket options and its errors, unchanged.
                self._dns_host, self.timeout = str(address[0]), left
                try:
                    return super()._new_conn()  # type: ignore[misc]
                except (ConnectTimeoutError, NewConnectionError) as error:
                    failure = error
        finally:
            self._dns_host, self.timeout = name, timeout
        raise failure


class _Connection(_ConnectDeadline, _HeaderDeadline, HTTPConnection):
    pass


class _TLSConnection(_ConnectDeadline, _HeaderDeadline, HTTPSConnection):
    pass


class _Pool(HTTPConnectionPool):
    ConnectionCls = _Connection


class _TLSPool(HTTPSConnectionPool):
    ConnectionCls = _TLSConnection


class DeadlineAdapter(HTTPAdapter):
    """requests' adapter whose connections honour `headers_by` (connecting and the headers)."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _Pool, "https": _TLSPool}

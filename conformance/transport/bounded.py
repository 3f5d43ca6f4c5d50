"""Reading an answer within a size and a total time, so no target can hang or exhaust the run.

`requests` reads a body whole into memory and its timeout bounds each socket read, not
the request: a 50 MB body, an endless chunked body or one chunk every two seconds would
exhaust memory or never end. The session streams every body through `read_body`, which
stops at `limit` bytes (decoded, so a compressed bomb counts by what it inflates to) and
at `deadline`, setting the socket's timeout to the time left before each read.
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
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import ReadTimeoutError

from conformance.transport.watchdog import WATCHDOG

CHUNK = 64 * 1024
DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024


class ResponseTooLarge(requests.RequestException):
    """The answer's body is larger than --max-response-bytes; reading stopped there."""


class ResponseTooSlow(requests.Timeout):
    """The whole answer did not arrive within --timeout (a trickling or endless body)."""


def read_body(response: requests.Response, *, deadline: float, limit: int) -> bytes:
    """The body of a streamed `response`, read whole unless it exceeds `limit` or `deadline`.

    Raises `ResponseTooLarge` or `ResponseTooSlow` (the connection is closed, nothing is
    kept); a broken connection is a `requests.ConnectionError`, as `requests` would raise.
    """
    method = response.request.method if response.request else "GET"
    what = f"the answer to {method} {response.url}"
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        response.close()
        raise ResponseTooLarge(
            f"{what} declares {int(declared):,} bytes, over the limit of {limit:,} "
            "(--max-response-bytes); it was not read"
        )
    chunks: list[bytes] = []
    size = 0
    try:
        while True:
            remaining = deadline - time.monotonic()
            late = ResponseTooSlow(f"{what} did not arrive whole within the timeout; raise --timeout")
            if remaining <= 0:
                raise late
            _set_read_timeout(response, remaining)
            try:
                chunk = response.raw.read1(CHUNK)
            except (ReadTimeoutError, TimeoutError):
                raise late from None
            except Urllib3Error as error:
                raise requests.ConnectionError(error, response=response) from None
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > limit:
                raise ResponseTooLarge(
                    f"{what} is larger than the limit of {limit:,} bytes (--max-response-bytes); "
                    "reading stopped there"
                )
            chunks.append(chunk)
    except requests.RequestException:
        response.close()
        raise


def _set_read_timeout(response: requests.Response, seconds: float) -> None:
    """Bound the next socket read by the time left (urllib3 keeps the connection while streaming)."""
    connection = getattr(response.raw, "connection", None)
    sock = getattr(connection, "sock", None)
    if sock is not None:
        sock.settimeout(max(seconds, 0.001))


# --- the headers, within the same deadline ----------------------------------------------------
# urllib3 bounds each socket read while it reads the status line and headers, so a target
# sending one header byte a second would never time out. A connection of `DeadlineAdapter`
# has the watchdog shut its socket down when the request's deadline (set by `headers_by`)
# passes first.

_deadline: ContextVar[float | None] = ContextVar("conformance_header_deadline", default=None)


@contextmanager
def headers_by(deadline: float) -> Iterator[None]:
    """Requests sent inside must have their headers by `deadline` (`time.monotonic()`)."""
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


class _Connection(_HeaderDeadline, HTTPConnection):
    pass


class _TLSConnection(_HeaderDeadline, HTTPSConnection):
    pass


class _Pool(HTTPConnectionPool):
    ConnectionCls = _Connection


class _TLSPool(HTTPSConnectionPool):
    ConnectionCls = _TLSConnection


class DeadlineAdapter(HTTPAdapter):
    """requests' adapter whose connections honour `headers_by`."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _Pool, "https": _TLSPool}

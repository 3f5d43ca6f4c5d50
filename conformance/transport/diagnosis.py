"""Transport failures, told as one line the user can act on.

`requests` reports a refused connection, a DNS failure or an untrusted certificate as
nested exception chains several screens long. Login and preflight are the first
requests a run sends, so they turn such chains into a `TargetError` that names the
cause and the option that fixes it.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import NameResolutionError

from conformance.errors import TargetError
from conformance.transport.bounded import ResponseTooLarge, ResponseTooSlow

E = TypeVar("E", bound=BaseException)

PORT_HINT = "slskd listens on 5030 for HTTP and 5031 for HTTPS by default"


def target_error(error: requests.RequestException, url: str, timeout: float) -> TargetError:
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}"
    causes = list(_chain(error))
    if isinstance(error, (ResponseTooLarge, requests.exceptions.ContentDecodingError)):
        return TargetError(str(error))  # the message names the answer and what is wrong with it
    if isinstance(error, ResponseTooSlow):
        return TargetError(f"the answer from {url} did not arrive whole within {timeout:g}s; raise --timeout")
    if isinstance(error, requests.Timeout) or _first(causes, TimeoutError):
        return TargetError(f"no answer from {url} within {timeout:g}s; raise --timeout")
    verification = _first(causes, ssl.SSLCertVerificationError)
    if verification is not None:
        return TargetError(
            f"TLS verification failed for {origin} ({verification.verify_message}): it looks like a "
            "self-signed certificate, which slskd's default HTTPS port 5031 uses; pass --ca-bundle PATH "
            "to trust it, or --insecure to skip verification"
        )
    if isinstance(error, requests.exceptions.SSLError):
        return TargetError(
            f"TLS handshake with {origin} failed ({_innermost(causes)}): is it an HTTPS port? {PORT_HINT}"
        )
    if _first(causes, NameResolutionError) or _first(causes, socket.gaierror):
        return TargetError(f"cannot resolve the host {parts.hostname!r}: check --target-url")
    if _first(causes, ConnectionRefusedError):
        return TargetError(f"connection refused by {parts.netloc}: is slskd running there? ({PORT_HINT})")
    return TargetError(f"cannot reach {origin}: {_innermost(causes)}")


def _chain(error: BaseException) -> Iterator[BaseException]:
    """The error and everything it wraps: causes, contexts, urllib3's `reason`, exception args."""
    seen: set[int] = set()
    pending = [error]
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        linked = [current.__cause__, current.__context__, getattr(current, "reason", None), *current.args]
        pending += [item for item in linked if isinstance(item, BaseException)]


def _first(causes: list[BaseException], kind: type[E]) -> E | None:
    return next((cause for cause in causes if isinstance(cause, kind)), None)


def _innermost(causes: list[BaseException]) -> str:
    """The deepest cause with a message, stripped of urllib3's object reprs."""
    for cause in reversed(causes):
        text = str(cause).strip()
        if text and "object at 0x" not in text:
            return text.splitlines()[0]
    return type(causes[-1]).__name__


def redirect_error(response: requests.Response, url: str) -> TargetError:
    """A target answering the first requests with a redirect the session would not follow."""
    location = response.headers.get("Location", "")
    return TargetError(
        f"{url} redirects to {location} ({response.status_code}): a run does not follow redirects "
        "to another origin, nor of a login; give --target-url as the URL slskd answers on"
    )


def json_body(response: requests.Response) -> Any:
    """The answer's JSON, or None when it is not JSON (the caller says what it expected)."""
    try:
        return response.json()
    except ValueError:
        return None

"""HTTP plumbing of the reference server: the request as slskd's pipeline sees it, and replies.

slskd reads usernames from the *raw* request target (its URL-decoding binder), while
WSGI servers hand applications an already percent-decoded PATH_INFO in which `a%2Fb` and
`a/b` look the same. So the path is taken from the raw target (`RAW_URI`/`REQUEST_URI`,
which werkzeug's server provides) and each segment is decoded at most once.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, quote_from_bytes, unquote_to_bytes

from werkzeug.wsgi import get_input_stream

JSON_TYPE = "application/json; charset=utf-8"
STATUS_LINES = {status.value: f"{status.value} {status.phrase}" for status in HTTPStatus}
INT32 = re.compile(r"\s*[+-]?\d+\s*")
INT32_RANGE = range(-(2**31), 2**31)


class HttpError(Exception):
    """Ends the request with an empty-bodied status, like ASP.NET's `NotFound()` or `BadRequest()`."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes = b""
    content_type: str | None = None  # None: no Content-Type header, as for ASP.NET's empty results
    headers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def json(cls, value: Any, status: int = 200) -> Reply:
        # ASCII escapes like System.Text.Json's default encoder, which escapes non-ASCII text.
        return cls(status, json.dumps(value, separators=(",", ":")).encode(), JSON_TYPE)


@dataclass
class Request:
    """One request: method, raw path segments, query (keys case-folded, first value kept), body."""

    environ: dict[str, Any]
    method: str
    segments: list[bytes]
    query: dict[str, str]
    params: dict[str, bytes] = field(default_factory=dict)  # raw route values, set by the router
    _body: bytes | None = None

    @classmethod
    def from_environ(cls, environ: dict[str, Any]) -> Request:
        query: dict[str, str] = {}
        for key, value in parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True):
            query.setdefault(key.lower(), value)
        return cls(environ, environ["REQUEST_METHOD"].upper(), path_segments(raw_path(environ)), query)

    def header(self, name: str) -> str | None:
        key = name.upper().replace("-", "_")
        return self.environ.get(key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}")

    @property
    def body(self) -> bytes:
        if self._body is None:
            self._body = get_input_stream(self.environ).read()
        return self._body


def raw_path(environ: dict[str, Any]) -> bytes:
    """The request target's path as the client sent it, still percent-encoded."""
    target = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if not target:  # not werkzeug's server: PATH_INFO is decoded, so `%2F` is already lost
        return quote_from_bytes(environ.get("PATH_INFO", "").encode("latin-1"), safe="/").encode()
    raw = _wsgi_bytes(target).split(b"?", 1)[0]
    if b"://" in raw:  # absolute-form target: http://host:port/path
        raw = b"/" + raw.split(b"://", 1)[1].partition(b"/")[2]
    return raw


def _wsgi_bytes(text: str) -> bytes:
    """Undo werkzeug's WSGI string encoding (UTF-8 bytes seen as latin-1) to get the raw bytes back."""
    try:
        return text.encode("latin-1").decode("utf-8").encode("latin-1")
    except UnicodeError:
        return text.encode("utf-8")


def path_segments(path: bytes) -> list[bytes]:
    """Segments after the leading slash; one trailing slash is ignored, as ASP.NET routing does."""
    segments = path.split(b"/")[1:]
    if len(segments) > 1 and segments[-1] == b"":
        segments.pop()
    return segments


def decode_segment(raw: bytes, *, plus_as_space: bool = False) -> str:
    """Percent-decode once, like .NET's `Uri.UnescapeDataString`: `+` stays `+`.

    Escapes that are not valid UTF-8 are left as they were sent, as .NET leaves them.
    """
    if plus_as_space:
        raw = raw.replace(b"+", b" ")
    try:
        return unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def parse_bool(text: str) -> bool | None:
    """`bool.Parse`: true/false in any case, surrounding whitespace allowed; None when unparsable."""
    return {"true": True, "false": False}.get(text.strip().lower())


def parse_int32(text: str) -> int | None:
    if not INT32.fullmatch(text):
        return None
    value = int(text)
    return value if value in INT32_RANGE else None


def is_json_media_type(content_type: str) -> bool:
    """Whether `[Consumes("application/json")]` accepts it: application/json or application/*+json."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    kind, _, subtype = media_type.partition("/")
    return kind == "application" and (subtype == "json" or subtype.endswith("+json"))


def to_wsgi(reply: Reply, start_response: Any) -> list[bytes]:
    headers = list(reply.headers)
    if reply.content_type:
        headers.append(("Content-Type", reply.content_type))
    if reply.status != 204:
        headers.append(("Content-Length", str(len(reply.body))))
    start_response(STATUS_LINES.get(reply.status, f"{reply.status} Unknown"), headers)
    return [reply.body]

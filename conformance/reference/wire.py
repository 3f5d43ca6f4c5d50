"""HTTP plumbing of the reference server: the request as slskd's pipeline sees it, and replies.

slskd reads usernames from the *raw* request target (its URL-decoding binder), while
WSGI servers hand applications an already percent-decoded PATH_INFO in which `a%2Fb` and
`a/b` look the same. So the path is taken from the raw target (`RAW_URI`/`REQUEST_URI`,
which our server and werkzeug's provide) and each segment is decoded at most once.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, quote_from_bytes, unquote_to_bytes

JSON_TYPE = "application/json; charset=utf-8"
# Kestrel's default MaxRequestBodySize: slskd's UseKestrel sets only listeners, and only the
# relay controller has a [RequestSizeLimit], so a longer body on these routes is 413.
MAX_REQUEST_BODY = 30_000_000
PAYLOAD_TOO_LARGE = 413
NO_DOCUMENT: Any = object()  # Reply.document of a reply that is not a JSON document
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
    document: Any = NO_DOCUMENT  # the JSON value `body` encodes, for representation variants

    @classmethod
    def json(cls, value: Any, status: int = 200) -> Reply:
        # ASCII escapes like System.Text.Json's default encoder, which escapes non-ASCII text.
        return cls(status, json.dumps(value, separators=(",", ":")).encode(), JSON_TYPE, document=value)


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
        """The request body, read when the action binds it: over MAX_REQUEST_BODY it is 413."""
        if self._body is None:
            length = self.environ.get("CONTENT_LENGTH") or ""
            if length.isdigit() and int(length) > MAX_REQUEST_BODY:
                raise HttpError(PAYLOAD_TOO_LARGE)
            body = read_input(self.environ, MAX_REQUEST_BODY + 1)
            if len(body) > MAX_REQUEST_BODY:
                raise HttpError(PAYLOAD_TOO_LARGE)
            self._body = body
        return self._body


def read_input(environ: dict[str, Any], limit: int) -> bytes:
    """At most `limit` bytes of the request body, read as WSGI says: to the end of a stream the
    server marks terminated (ours reads chunked bodies whole), else no further than
    CONTENT_LENGTH, and nothing without one."""
    stream = environ["wsgi.input"]
    if environ.get("wsgi.input_terminated"):
        return stream.read(limit)
    length = environ.get("CONTENT_LENGTH") or ""
    return stream.read(min(int(length), limit)) if length.isdigit() else b""


def raw_path(environ: dict[str, Any]) -> bytes:
    """The request target's path as the client sent it, still percent-encoded."""
    target = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if not target:  # another WSGI server: PATH_INFO is decoded, so `%2F` is already lost
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


def accepts_coding(accept_encoding: str | None, coding: str) -> bool:
    """Whether an Accept-Encoding value (RFC 9110 §12.5.3) allows `coding`: by its name, else by
    `*`, with a q-value above 0. No header at all asks for no coding."""
    weights: dict[str, float] = {}
    for item in (accept_encoding or "").split(","):
        name, *parameters = (part.strip() for part in item.split(";"))
        q = next((p[2:] for p in parameters if p.lower().startswith("q=")), "1")
        try:
            weights[name.lower()] = float(q)
        except ValueError:  # a malformed weight allows nothing
            weights[name.lower()] = 0.0
    return weights.get(coding, weights.get("*", 0.0)) > 0


def header_lines(reply: Reply) -> list[tuple[str, str]]:
    """The reply's headers with its Content-Type and, but for 204, its Content-Length."""
    headers = list(reply.headers)
    if reply.content_type:
        headers.append(("Content-Type", reply.content_type))
    if reply.status != 204:
        headers.append(("Content-Length", str(len(reply.body))))
    return headers


def status_line(status: int) -> str:
    return STATUS_LINES.get(status, f"{status} Unknown")


def head_of(reply: Reply, extra: list[tuple[str, str]], *, close: bool) -> bytes:
    """The status line and headers of an HTTP/1.1 answer; `extra` headers replace the reply's own
    of the same name (a chunked answer drops Content-Length)."""
    replaced = {name.lower() for name, _ in extra}
    headers = [(n, v) for n, v in header_lines(reply) if n.lower() not in replaced]
    headers += [(n, v) for n, v in extra if v]
    if close:
        headers.append(("Connection", "close"))
    lines = [f"HTTP/1.1 {status_line(reply.status)}", *(f"{name}: {value}" for name, value in headers)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def to_wsgi(reply: Reply, start_response: Any) -> list[bytes]:
    start_response(status_line(reply.status), header_lines(reply))
    return [reply.body]

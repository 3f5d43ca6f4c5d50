"""Representation variants: other ways to write the same answers that HTTP, JSON and the docs allow.

A conformance checker must not mistake a representation for a behaviour: each variant is
one switch (`conformance serve --variant NAME`), changes only *how* an answer is written,
and a run of the suite against it must find no defect (tests/test_reference_conformance.py).
Where slskd itself writes one of these forms, the variant says so.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterable
from email.utils import formatdate
from typing import Any

from conformance.reference.wire import JSON_TYPE, NO_DOCUMENT, Reply, accepts_coding

VARIANTS: dict[str, str] = {
    # timestamps
    "fraction-digits": "timestamps with 0 to 7 fractional digits (stamps on coarser grids; "
    "a 7th digit as a trailing zero)",
    "whole-second-incoming": "incoming messages stamped in whole seconds, as the Soulseek server "
    "stamps them (real slskd)",
    "zero-offset": "timestamps end in +00:00 instead of Z (the same instant, RFC 3339)",
    # JSON
    "extra-field": "conversations and messages carry an undocumented property (forward-compatible)",
    "key-order": "JSON object properties in reverse order (objects are unordered, RFC 8259 §4)",
    "pretty": "JSON indented, with spaces after separators (insignificant whitespace, RFC 8259 §2)",
    "raw-unicode": "non-ASCII text written as UTF-8 instead of \\u escapes (RFC 8259 §7)",
    # HTTP
    "no-charset": "JSON served as application/json without a charset parameter",
    "media-type-case": "Content-Type in other letter case (case-insensitive, RFC 9110 §8.3.1)",
    "connection-close": "Connection: close after every response (HTTP/1.1 §9.6)",
    "chunked": "bodies sent with Transfer-Encoding: chunked instead of Content-Length (RFC 9112 §7.1)",
    "cache-headers": "Date, ETag, Cache-Control and Server headers on every response (as Kestrel can add)",
    "gzip": "bodies gzip-compressed (Content-Encoding: gzip, Vary: Accept-Encoding) when the request "
    "accepts gzip, as a compressing proxy in front of slskd sends them (RFC 9110 §8.4)",
}
CHUNK = 512  # bytes per chunk of a chunked answer: a small reply still comes in one, a list in several
EXTRA_FIELDS = {"conversation": ("isPinned", False), "message": ("isEdited", False)}


def validate_variants(names: Iterable[str]) -> frozenset[str]:
    """The variant names as a set; a name this module does not know is a usage error."""
    chosen = frozenset(names)
    unknown = sorted(chosen - VARIANTS.keys())
    if unknown:
        raise ValueError(
            f"unknown variant {', '.join(unknown)}; known variants: {', '.join(sorted(VARIANTS))}"
        )
    return chosen


class Representation:
    """How answers are written, given the switched-on variants (none: as slskd writes them)."""

    def __init__(self, variants: frozenset[str] = frozenset()) -> None:
        self.variants = variants
        self.connection_close = "connection-close" in variants
        self.coarse_clock = "fraction-digits" in variants
        self.whole_second_incoming = "whole-second-incoming" in variants
        self.zone = "+00:00" if "zero-offset" in variants else "Z"
        self._reencode = bool({"key-order", "pretty", "raw-unicode"} & variants)

    # --- the documents ----------------------------------------------------------------------
    def fraction(self, micros: int) -> str:
        """The fractional seconds of a timestamp, trailing zeros trimmed as slskd trims them;
        with `fraction-digits`, six significant digits of an odd microsecond get a 7th, a zero."""
        digits = f"{micros % 1_000_000:06d}".rstrip("0")
        if self.coarse_clock and len(digits) == 6 and micros % 2:
            digits += "0"
        return digits

    def extra(self, kind: str) -> dict[str, Any]:
        """The undocumented property of a `kind` object ("conversation", "message"), if any."""
        if "extra-field" not in self.variants:
            return {}
        name, value = EXTRA_FIELDS[kind]
        return {name: value}

    def dress(self, reply: Reply, accept_encoding: str | None = None) -> Reply:
        """The reply with its JSON re-encoded, its media type written and its body compressed
        (for a request whose Accept-Encoding is `accept_encoding`) as the variants say."""
        body, content_type, headers = reply.body, reply.content_type, reply.headers
        if self._reencode and reply.document is not NO_DOCUMENT:
            body = self._encode(reply.document)
        if "gzip" in self.variants and body:
            headers = (*headers, ("Vary", "Accept-Encoding"))
            if accepts_coding(accept_encoding, "gzip"):
                body, headers = gzip.compress(body, mtime=0), (*headers, ("Content-Encoding", "gzip"))
        if content_type == JSON_TYPE:
            if "no-charset" in self.variants:
                content_type = "application/json"
            if "media-type-case" in self.variants:
                content_type = content_type.replace("application/json", "Application/JSON").replace(
                    "charset=utf-8", "Charset=UTF-8"
                )
        return Reply(reply.status, body, content_type, headers, reply.document)

    def _encode(self, document: Any) -> bytes:
        if "key-order" in self.variants:
            document = _reversed_keys(document)
        pretty = "pretty" in self.variants
        return json.dumps(
            document,
            ensure_ascii="raw-unicode" not in self.variants,
            indent=2 if pretty else None,
            separators=(", ", ": ") if pretty else (",", ":"),
        ).encode("utf-8")

    # --- the wire -----------------------------------------------------------------------------
    def headers(self, reply: Reply) -> list[tuple[str, str]]:
        """Headers the variants add to (or, with an empty value, remove from) an answer."""
        extra: list[tuple[str, str]] = []
        if "cache-headers" in self.variants:
            extra += [("Date", formatdate(usegmt=True)), ("Server", "Kestrel"), ("Cache-Control", "no-cache")]
            if reply.body:
                extra.append(("ETag", f'"{hashlib.sha256(reply.body).hexdigest()[:16]}"'))
        if self._chunked(reply):
            extra += [("Content-Length", ""), ("Transfer-Encoding", "chunked")]
        return extra

    def payload(self, reply: Reply) -> bytes:
        """The bytes after the headers: the body, or its chunks."""
        if not self._chunked(reply):
            return reply.body
        body = reply.body
        chunks = [body[i : i + CHUNK] for i in range(0, len(body), CHUNK)]
        return b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for chunk in chunks) + b"0\r\n\r\n"

    def _chunked(self, reply: Reply) -> bool:
        return "chunked" in self.variants and reply.status not in (204, 304)


def _reversed_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _reversed_keys(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [_reversed_keys(item) for item in value]
    return value

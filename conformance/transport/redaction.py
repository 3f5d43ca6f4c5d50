"""Secret redaction for everything a run writes out: evidence, reports, curl lines, messages.

Exchanges are kept raw in memory (checks may need the exact bytes); this module is the
only way they leave it. Redaction works two ways at once: by header name (credentials
headers are always `***`, whatever they hold, so a token obtained by logging in is hidden
too) and by value (every known secret, also percent- or JSON-encoded, anywhere in URLs,
headers and bodies). Redaction happens before truncation, so a cut can never leave half a
key behind.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import quote, quote_plus, urlsplit, urlunsplit

from conformance.results.exchange import Exchange

MASK = "***"
CREDENTIAL_HEADERS = frozenset({"x-api-key", "authorization", "proxy-authorization", "cookie", "set-cookie"})


def _forms(secret: str) -> set[str]:
    """The spellings a secret can take in a URL, a form or a JSON document."""
    return {secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1]}


def redact_text(text: str, secrets: Iterable[str]) -> str:
    # Longest first, so a secret that contains another one is masked whole.
    for form in sorted(
        {form for secret in secrets if secret for form in _forms(secret)}, key=len, reverse=True
    ):
        text = text.replace(form, MASK)
    return text


def redact_url(url: str, secrets: Iterable[str]) -> str:
    """The URL without user:password@ and without any secret value."""
    parts = urlsplit(url)
    if parts.username is not None or parts.password is not None:
        host = parts.hostname or ""
        netloc = f"[{host}]" if ":" in host else host
        if parts.port is not None:
            netloc = f"{netloc}:{parts.port}"
        url = urlunsplit(parts._replace(netloc=netloc))
    return redact_text(url, secrets)


def redact_headers(headers: Mapping[str, str], secrets: Iterable[str]) -> dict[str, str]:
    return {
        name: MASK if name.lower() in CREDENTIAL_HEADERS else redact_text(value, secrets)
        for name, value in headers.items()
    }


def redact_exchange(exchange: Exchange, secrets: Iterable[str]) -> dict[str, Any]:
    """The results.json form of an exchange (`Exchange.to_dict`), with no secret left in it."""
    secrets = tuple(secrets)
    clean = replace(
        exchange,
        url=redact_url(exchange.url, secrets),
        request_headers=redact_headers(exchange.request_headers, secrets),
        request_body=_maybe(exchange.request_body, secrets),
        response_headers=redact_headers(exchange.response_headers, secrets),
        response_body=_maybe(exchange.response_body, secrets),
        error=_maybe(exchange.error, secrets),
    )
    return clean.to_dict()


def _maybe(text: str | None, secrets: Iterable[str]) -> str | None:
    return None if text is None else redact_text(text, secrets)

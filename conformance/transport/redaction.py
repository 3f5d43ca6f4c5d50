"""Secret redaction for everything a run writes out: evidence, reports, curl lines, messages.

Exchanges are kept raw in memory (checks may need the exact bytes); this module is the
only way they leave it. Redaction works two ways at once: by header name (credentials
headers are always `***`, whatever they hold, so a token obtained by logging in is hidden
too) and by value (every known secret in every spelling of `secret_forms`, anywhere in
URLs, headers, bodies, messages and pytest's own reports). Redaction happens before
truncation, so a cut can never leave half a key behind.

`secret_forms` is also what the tests' leak checker (`tests/leaks.py`) searches
for: what is redacted and what counts as a leak cannot drift apart.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import quote, quote_plus, urlsplit, urlunsplit

from conformance.results.exchange import Exchange

MASK = "***"
CREDENTIAL_HEADERS = frozenset({"x-api-key", "authorization", "proxy-authorization", "cookie", "set-cookie"})


# Shorter base64 fragments than this would mask unrelated text; a secret that short has none.
MIN_BASE64_FRAGMENT = 8


def secret_forms(secret: str) -> set[str]:
    """The spellings a secret can take in a URL, a form, JSON, HTML, base64 or HTTP Basic auth."""
    return {
        secret,
        quote(secret, safe=""),
        quote_plus(secret),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        html.escape(secret),
        *_base64_forms(secret),
    }


def _base64_forms(secret: str) -> set[str]:
    """base64 of the secret, alone and wherever it starts inside encoded bytes.

    In `Authorization: Basic base64(user:password)`, or a base64 echo of a whole header, the
    secret starts at any offset; base64 works in 3-byte groups, so for each offset mod 3
    the characters that encode only the secret's bytes are the same in every such encoding.
    Those fragments are what is searched for and masked.
    """
    data = secret.encode()
    forms = {base64.b64encode(data).decode()}
    for offset, first_clean in ((0, 0), (1, 2), (2, 3)):
        encoded = base64.b64encode(b"\0" * offset + data).decode()
        fragment = encoded[first_clean : 4 * ((offset + len(data)) // 3)]
        if len(fragment) >= MIN_BASE64_FRAGMENT:
            forms.add(fragment)
    return forms


def redact_text(text: str, secrets: Iterable[str]) -> str:
    # Longest first, so a secret that contains another one is masked whole.
    for form in sorted(
        {form for secret in secrets if secret for form in secret_forms(secret)}, key=len, reverse=True
    ):
        text = text.replace(form, MASK)
    return text


def redact_report(report: Any, secrets: Iterable[str]) -> None:
    """Mask secrets in a pytest report in place: the failure text, skip reason and captured output.

    pytest's terminal, `--junitxml` and pytest-xdist all read the report after this, so a
    failure message quoting an echoed header leaks nowhere. A failure whose text changed is
    kept as that text (pytest prints a string longrepr as is).
    """
    secrets = tuple(secrets)
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:  # a skip: (path, line, reason)
        report.longrepr = (*longrepr[:2], redact_text(str(longrepr[2]), secrets))
    elif longrepr is not None:
        text = str(longrepr)
        clean = redact_text(text, secrets)
        if clean != text:
            report.longrepr = clean
    report.sections = [(title, redact_text(content, secrets)) for title, content in report.sections]


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

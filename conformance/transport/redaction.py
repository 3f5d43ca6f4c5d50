"""Secret redaction for everything a run writes out: evidence, reports, curl lines, messages.

Exchanges are kept raw in memory (checks may need the exact bytes); this module is the
only way they leave it. Redaction works two ways at once: by header name (credentials
headers are always `***`, whatever they hold, so a token obtained by logging in is hidden
too) and by value (every known secret in every spelling `secret_pattern` matches, as a whole
token or, for a long secret, anywhere, in URLs, headers, bodies, messages and pytest's own
reports). Redaction happens before
truncation, so a cut can never leave half a key behind.

The spellings, where they count, the mask and the credential headers are defined once, in
`conformance.results.secret_forms`, which the tests' leak checker (`tests/leaks.py`) and the report
views share: what is redacted and what counts as a leak cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from conformance.results.exchange import Exchange
from conformance.results.secret_forms import CREDENTIAL_HEADERS, MASK, secret_pattern


def redact_text(text: str, secrets: Iterable[str]) -> str:
    pattern = secret_pattern(secrets)
    return text if pattern is None else pattern.mask(text)


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

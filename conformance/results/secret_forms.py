"""What a secret looks like in text: every spelling of it, the mask, and the credential headers.

The redaction (`conformance.transport.redaction`) masks exactly these spellings and the leak
checker (`conformance.reporting.leaks`) searches for exactly these: what is redacted and what
counts as a leak cannot drift apart. The report views use the mask and the header names too,
without depending on the transport.
"""

from __future__ import annotations

import base64
import html
import json
from urllib.parse import quote, quote_plus

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

"""What a secret looks like in text: every spelling of it, where it counts as one, the mask, and
the credential headers.

The redaction (`conformance.transport.redaction`) masks exactly what `secret_pattern` matches
and the tests' leak checker (`tests/leaks.py`) looks for it with the same pattern: what is redacted
and what counts as a leak cannot drift apart. The report views use the mask and the header
names too, without depending on the transport.

**Whole tokens.** A secret is masked where it stands as a token, never inside a word: a short
key such as `sk` must not turn `slskd` into `sl***d`, and a user reading a one-line error must
still read it. A spelling is a token when no word character touches it on either side; an
escape that ends in a letter or digit counts as a separator (`%3D` in a query string,
`\\u0022`, `\\x00` or `\\n` in JSON or a Python repr), so `apiKey%3DKEY` and `\\u0022KEY\\u0022`
are masked. An edge of the secret that is itself no word character (`-key`, `key=`) needs no
separator there.

**Long secrets are masked anywhere.** A secret of `LONG_SECRET` characters or more is masked
even inside a word. The boundary rule exists for false masks, which need the secret's whole
text to occur by chance inside other text: for a few characters that happens (`sk` in
`slskd`), for sixteen it does not (a generated API key or token, or a password that long,
is not part of any word the run prints). The other error, a secret left readable because a
server glued it to other characters (`tokenKEY`, `KEYabc`, a key inside a hex or base64url
blob), is a leak; where a false mask costs nothing, the leak is the one to rule out.

**base64 spellings are masked anywhere too**: the fragments that encode the secret inside
`Basic base64(user:password)` sit between other base64 characters by nature, and they are at
least `MIN_BASE64_FRAGMENT` characters long (the base64 of a secret too short for that is a
token like the others).
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote, quote_plus

MASK = "***"
CREDENTIAL_HEADERS = frozenset({"x-api-key", "authorization", "proxy-authorization", "cookie", "set-cookie"})

# Shorter base64 fragments than this would mask unrelated text; a secret that short has none.
MIN_BASE64_FRAGMENT = 8
# From this length a secret cannot occur inside other words by chance: masked anywhere (see above).
LONG_SECRET = 16

# Before a spelling that starts with a word character: no word character, or an escape that
# ends in one (each lookbehind has a fixed width, as Python's `re` requires).
_SEPARATED_BEFORE = (
    r"(?:(?<!\w)|(?<=%[0-9A-Fa-f]{2})|(?<=\\u[0-9A-Fa-f]{4})|(?<=\\x[0-9A-Fa-f]{2})|(?<=\\[nrtbf]))"
)
_SEPARATED_AFTER = r"(?!\w)"


def secret_forms(secret: str) -> set[str]:
    """The spellings a secret can take in a URL, a form, JSON, HTML, base64 or HTTP Basic auth."""
    return _text_forms(secret) | _base64_forms(secret)


@dataclass(frozen=True)
class SecretPattern:
    """Every spelling of every secret of a run, where it counts as one (the module's docstring).

    The regular expression tries the longest spelling first, so a secret that contains another
    is masked whole. Most text holds no spelling at all: a plain substring test says so about
    ten times faster than the expression's boundary checks at every position.
    """

    spellings: tuple[str, ...]
    regex: re.Pattern[str]

    def mask(self, text: str) -> str:
        return self.regex.sub(MASK, text) if self._may_hold(text) else text

    def find(self, text: str) -> list[str]:
        """Each spelling found, once, in order."""
        return sorted(set(self.regex.findall(text))) if self._may_hold(text) else []

    def _may_hold(self, text: str) -> bool:
        return any(spelling in text for spelling in self.spellings)


def secret_pattern(secrets: Iterable[str]) -> SecretPattern | None:
    """The pattern of these secrets (None when there is none), shared by the redaction and the
    tests' leak checker; made once per set of secrets."""
    return _pattern(frozenset(secret for secret in secrets if secret))


@lru_cache(maxsize=64)
def _pattern(secrets: frozenset[str]) -> SecretPattern | None:
    anywhere: set[str] = set()
    tokens: set[str] = set()
    for secret in secrets:
        for form in _base64_forms(secret):
            (anywhere if len(form) >= MIN_BASE64_FRAGMENT else tokens).add(form)
        (anywhere if len(secret) >= LONG_SECRET else tokens).update(_text_forms(secret))
    alternatives = [(form, re.escape(form)) for form in anywhere]
    alternatives += [(form, _as_token(form)) for form in tokens - anywhere]
    if not alternatives:
        return None
    alternatives.sort(key=lambda alternative: len(alternative[0]), reverse=True)
    spellings = tuple(form for form, _ in alternatives)
    return SecretPattern(spellings, re.compile("|".join(regex for _, regex in alternatives)))


def _as_token(form: str) -> str:
    before = _SEPARATED_BEFORE if re.match(r"\w", form[0]) else ""
    after = _SEPARATED_AFTER if re.match(r"\w", form[-1]) else ""
    return f"{before}{re.escape(form)}{after}"


def _text_forms(secret: str) -> set[str]:
    return {
        secret,
        quote(secret, safe=""),
        quote_plus(secret),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        html.escape(secret),
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

"""curl lines that reproduce a captured request when pasted into a shell.

A curl line is evidence a person acts on: pasted, it must send the same request and get the
same answer. So credentials are not `***` (that earns a 401) but a reference to the
environment variable the user already exported (`"X-API-Key: $SLSKD_API_KEY"`), and the
headers `requests` adds on its own (User-Agent, Accept: */*, …) are left out: curl sends
its own, and the server's answer does not depend on them. Everything else goes through the
run's redaction first, so no secret value can reach the line.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping

from conformance.results.exchange import Exchange
from conformance.results.secret_forms import CREDENTIAL_HEADERS, MASK
from conformance.transport.redaction import redact_exchange

# Headers curl computes itself, or that only describe the client: replaying them adds noise.
NOISE_HEADERS = frozenset(
    {"content-length", "connection", "accept-encoding", "host", "user-agent", "x-schemathesis-testcaseid"}
)
DEFAULT_ACCEPT = "*/*"  # what requests and curl both send when nobody chose


def curl_command(exchange: Exchange, variables: Mapping[str, str] | None = None) -> str:
    """The curl line for `exchange`; `variables` maps each secret value to its variable name.

    A credential header holding a known secret becomes a reference to its variable; one
    holding anything else (a deliberately wrong key, a token nobody named) stays `***`, which
    a server rejects just as it rejected the original.
    """
    variables = variables or {}
    clean = redact_exchange(exchange, variables.keys())["request"]
    words = ["curl", "-X", shlex.quote(clean["method"]), shlex.quote(clean["url"])]
    for (name, raw), value in zip(exchange.request_headers.items(), clean["headers"].values(), strict=True):
        lowered = name.lower()
        if lowered in NOISE_HEADERS or (lowered == "accept" and value == DEFAULT_ACCEPT):
            continue
        if lowered == "content-type" and clean["body"] is None:
            continue
        if lowered in CREDENTIAL_HEADERS:
            words += ["-H", _credential(name, raw, variables)]
        else:
            words += ["-H", shlex.quote(f"{name}: {value}")]
    if clean["body"] is not None:
        words += ["--data-raw", shlex.quote(clean["body"])]
    return " ".join(words)


def _credential(name: str, value: str, variables: Mapping[str, str]) -> str:
    """`"Name: Bearer $VAR"` when `value` holds a known secret, else `'Name: ***'`."""
    for secret, variable in sorted(variables.items(), key=lambda item: len(item[0]), reverse=True):
        if secret and secret in value:
            prefix, _, suffix = value.partition(secret)
            if not any(other and other in prefix + suffix for other in variables):
                return f'"{_escaped(name)}: {_escaped(prefix)}${variable}{_escaped(suffix)}"'
    return shlex.quote(f"{name}: {MASK}")


def _escaped(text: str) -> str:
    """`text` safe inside double quotes: no expansion, no early end."""
    for character in ("\\", '"', "$", "`"):
        text = text.replace(character, "\\" + character)
    return text

"""A guard for every artifact a run writes: no secret may appear in any of them, in any spelling.

Redaction happens at capture and again in every view; this is the independent check the
tests (and end-to-end runs) use to prove it, by reading the files back byte for byte.
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from urllib.parse import quote, quote_plus


def secret_forms(secret: str) -> set[str]:
    """The spellings a secret can take in a URL, JSON, HTML or an HTTP Basic header."""
    return {
        secret,
        quote(secret, safe=""),
        quote_plus(secret),
        json.dumps(secret)[1:-1],
        html.escape(secret),
        base64.b64encode(secret.encode()).decode(),
    }


def find_secret(directory: Path, secret: str) -> list[str]:
    """'file: form' for every file under `directory` that contains `secret` in any form."""
    if not secret:
        raise ValueError("an empty secret matches everything; pass the real secret")
    forms = sorted(secret_forms(secret))
    found = []
    for path in sorted(p for p in Path(directory).rglob("*") if p.is_file()):
        content = path.read_bytes()
        found += [f"{path}: {form!r}" for form in forms if form.encode() in content]
    return found


def assert_no_secret(directory: Path, secret: str) -> None:
    """Fail (AssertionError) when any file under `directory` holds `secret`; the files must exist."""
    files = [p for p in Path(directory).rglob("*") if p.is_file()]
    assert files, f"{directory} holds no files: nothing was checked for secrets"
    found = find_secret(directory, secret)
    assert not found, "secret found in written artifacts:\n  " + "\n  ".join(found)

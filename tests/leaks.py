"""A guard for every artifact a run writes: no secret may appear in any of them, in any spelling.

Redaction happens at capture and again in every view; this is the check the tests (and
end-to-end runs) use to prove it, by reading the files back. It searches with exactly the
pattern the redaction masks with (`secret_pattern`, one definition for both: whole tokens,
long secrets anywhere).
"""

from __future__ import annotations

from pathlib import Path

from conformance.results.secret_forms import secret_pattern


def find_secret(directory: Path, secret: str) -> list[str]:
    """'file: form' for every file under `directory` that contains `secret` in any form."""
    if not secret:
        raise ValueError("an empty secret matches everything; pass the real secret")
    pattern = secret_pattern([secret])
    assert pattern is not None
    found = []
    for path in sorted(p for p in Path(directory).rglob("*") if p.is_file()):
        content = path.read_bytes().decode("utf-8", errors="replace")
        found += [f"{path}: {form!r}" for form in pattern.find(content)]
    return found


def assert_no_secret(directory: Path, secret: str) -> None:
    """Fail (AssertionError) when any file under `directory` holds `secret`; the files must exist."""
    files = [p for p in Path(directory).rglob("*") if p.is_file()]
    assert files, f"{directory} holds no files: nothing was checked for secrets"
    found = find_secret(directory, secret)
    assert not found, "secret found in written artifacts:\n  " + "\n  ".join(found)

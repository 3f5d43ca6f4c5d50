"""No secret in any byte a run produces, against a target that echoes every header back.

The echoing fake slskd (`tests.servers.hostile.echoing`) answers most requests with a 500
quoting the request's headers raw, as JSON, percent-encoded, base64 and as a Basic
credential, so failure messages, captured evidence, pytest's own `--junitxml` and our
reports all see the key. Everything the run wrote, stdout and stderr included, is then
scanned by the leak checker, which searches for exactly the spellings the redaction masks.
"""

from __future__ import annotations

import base64
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from conformance.results.secret_forms import secret_forms
from conformance.transport.redaction import redact_report, redact_text
from tests.leaks import assert_no_secret, find_secret
from tests.servers.fake_slskd import ISSUED_TOKEN
from tests.servers.hostile import echoing
from tests.servers.local import LocalServer

KEY = "echoed-api-key-0123456789abcdef"
PASSWORD = "alice-password-42"


def run_against_echo(output: Path, *credentials: str) -> None:
    """Run read-only against the echoing target; every byte it produced lands under `output`."""
    with LocalServer(echoing(KEY)) as target:
        completed = subprocess.run(
            [
                sys.executable, "-m", "conformance.cli", "run",
                f"--target-url={target.url}", *credentials,
                f"--reports-dir={output / 'reports'}", f"--junitxml={output / 'pytest-junit.xml'}",
                "--rate=none", "--max-examples=2", "-p", "no:randomly", "-n", "0", "-rA", "--tb=long",
            ],
            capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
    (output / "stdout.txt").write_text(completed.stdout, encoding="utf-8")
    (output / "stderr.txt").write_text(completed.stderr, encoding="utf-8")


@pytest.mark.slow
def test_an_echoed_api_key_appears_in_no_output_in_no_encoding(tmp_path: Path) -> None:
    run_against_echo(tmp_path, f"--api-key={KEY}")
    # The echoes were quoted (failure messages in pytest's JUnit file, evidence in ours), masked.
    assert "***" in (tmp_path / "pytest-junit.xml").read_text(encoding="utf-8")
    assert "***" in (tmp_path / "reports" / "latest" / "results.json").read_text(encoding="utf-8")
    assert_no_secret(tmp_path, KEY)


@pytest.mark.slow
def test_a_password_and_the_token_it_buys_appear_nowhere(tmp_path: Path) -> None:
    run_against_echo(tmp_path, "--username=alice", f"--password={PASSWORD}")
    assert find_secret(tmp_path, PASSWORD) == []
    assert_no_secret(tmp_path, ISSUED_TOKEN)


@pytest.mark.parametrize("prefix", ["", "u", "us", "user:"])
def test_a_key_inside_basic_auth_is_masked_at_any_offset(prefix: str) -> None:
    basic = base64.b64encode(f"{prefix}{KEY}".encode()).decode()
    assert any(form in basic for form in secret_forms(KEY))
    assert not any(form in redact_text(f"Basic {basic}", {KEY}) for form in secret_forms(KEY))


class _Repr:
    """Stands in for pytest's exception representation: text only through str()."""

    def __str__(self) -> str:
        return f"AssertionError: body was {{'echo': 'X-API-Key: {KEY}'}}"


@pytest.mark.parametrize(
    ("longrepr", "masked"),
    [
        (_Repr(), "AssertionError: body was {'echo': 'X-API-Key: ***'}"),
        (f"plain {KEY}", "plain ***"),
        (("suite.py", 3, f"Skipped: {KEY}"), ("suite.py", 3, "Skipped: ***")),
        (None, None),
    ],
)
def test_pytest_reports_are_masked_before_anything_prints_them(longrepr: object, masked: object) -> None:
    report = SimpleNamespace(longrepr=longrepr, sections=[("Captured stdout call", f"got {KEY}")])
    redact_report(report, {KEY})
    assert report.longrepr == masked
    assert report.sections == [("Captured stdout call", "got ***")]

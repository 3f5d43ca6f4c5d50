"""A usage error is one line and exit 2, said once; an unusable target one line and exit 3."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli import conformance_run


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--reference-fault", "nope"], "--reference-fault: unknown fault nope"),
        (["--max-examples", "many"], "--max-examples must be a number at least 1 (got 'many')"),
        (["--shrink-budget", "-1"], "--shrink-budget must be a number at least 0"),
        (["--spec", "/nonexistent/spec.json"], "spec file not found: /nonexistent/spec.json"),
        # found by pytest, said as ours
        (["--no-such-option"], "unrecognized arguments: --no-such-option (see conformance run --help"),
        (["--maxfail", "many"], "argument --maxfail: invalid int value: 'many'"),
        (["no_such_file.py"], "file or directory not found: no_such_file.py"),
        (["-k", "CONV-ACK-ONE-404 and ("], "Wrong expression passed to '-k'"),
    ],
    ids=[
        "unknown fault",
        "bad number",
        "bad budget",
        "missing file",
        "unknown option",
        "bad pytest value",
        "missing path",
        "bad -k",
    ],
)
def test_a_usage_error_is_one_line_said_once_with_exit_2(
    args: list[str], message: str, tmp_path: Path
) -> None:
    done = conformance_run(tmp_path, *args)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [done.stderr.strip()]
    assert done.stderr.startswith("slskd-conformance: ") and message in done.stderr
    assert message not in done.stdout and "usage:" not in done.stderr + done.stdout
    assert "Traceback" not in done.stderr + done.stdout
    if not {"-k", "no_such_file.py"} & set(args):  # found before collection: nothing of pytest's
        assert done.stdout == ""
    assert not any(tmp_path.iterdir()), "no target reached and no report written"


def test_an_unknown_command_is_one_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "conformance.cli", "nope"], capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.splitlines() == ["conformance: unknown command 'nope' (conformance --help lists them)"]


def test_a_bad_value_in_the_environment_is_a_usage_error_too(tmp_path: Path) -> None:
    done = conformance_run(tmp_path, env={"CONFORMANCE_STRICT_DOCS": "perhaps"})
    assert done.returncode == 2 and "CONFORMANCE_STRICT_DOCS must be true or false" in done.stderr


@pytest.mark.slow
def test_an_unreachable_target_is_said_once_with_exit_3(tmp_path: Path) -> None:
    done = conformance_run(tmp_path, env={"SLSKD_TARGET_URL": "http://127.0.0.1:1"})
    assert done.returncode == 3
    output = done.stdout + done.stderr
    assert output.count("connection refused by 127.0.0.1:1") == 1
    assert "_pytest.outcomes.Exit" not in output and "Traceback" not in output


@pytest.mark.slow
def test_the_configurations_notes_are_reported_once(tmp_path: Path) -> None:
    done = conformance_run(tmp_path, "--api-key", "unused-key", "-k", "test_read_operation and application")
    assert done.returncode == 0, done.stdout + done.stderr
    notes = json.loads((tmp_path / "latest" / "results.json").read_text(encoding="utf-8"))["run"]["notes"]
    assert len(notes) == len(set(notes)) and any("--api-key unused" in note for note in notes)

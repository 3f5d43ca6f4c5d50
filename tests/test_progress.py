"""A live status line on a terminal, redrawn in place and erased before pytest writes; none in logs."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.reporting.progress import INTERVAL, LIMIT, ProgressLine, status_text
from tests.cli import conformance_run


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def screen(written: str) -> str:
    """What a terminal shows for `written`: backspaces move the cursor back, text overwrites."""
    cells: list[str] = []
    cursor = 0
    for char in written:
        if char == "\b":
            cursor -= 1
            continue
        if cursor == len(cells):
            cells.append(char)
        else:
            cells[cursor] = char
        cursor += 1
    return "".join(cells).rstrip()


def test_the_line_is_redrawn_in_place_at_most_every_interval_and_erased_whole() -> None:
    stream, clock, texts = io.StringIO(), Clock(), iter(["a long first status", "short", "third"])
    line = ProgressLine(stream, lambda: next(texts), clock=clock)
    line.tick()
    line.tick()  # too soon: not redrawn
    assert screen(stream.getvalue()) == " [a long first status]"
    clock.now += INTERVAL
    line.tick()
    assert screen(stream.getvalue()) == " [short]"
    line.clear()
    assert screen(stream.getvalue()) == ""
    clock.now += INTERVAL / 10  # cleared: the next tick draws at once
    line.tick()
    assert screen(stream.getvalue()) == " [third]"


def test_a_long_status_is_cut_to_fit_after_the_dots() -> None:
    stream = io.StringIO()
    ProgressLine(stream, lambda: "x" * 200, clock=Clock()).tick()
    assert len(screen(stream.getvalue())) == LIMIT and screen(stream.getvalue()).endswith("…]")


def test_the_status_names_the_test_the_phase_requests_and_defects() -> None:
    assert status_text("lifecycle", None, 0.0, 812, 1) == "lifecycle · finding · 812 requests · 1 defect"
    assert status_text("lifecycle", "CONV-X", 12.4, 900, 3) == (
        "lifecycle · shrinking CONV-X, 12 s left · 900 requests · 3 defects"
    )


@pytest.mark.slow
def test_a_log_that_is_not_a_terminal_gets_no_status_line(tmp_path: Path) -> None:
    done = conformance_run(
        tmp_path, "-k", "lifecycle", "--no-shrink", env={"CONFORMANCE_SERVER_BEHAVIOUR": "slskd"}
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "\b" not in done.stdout + done.stderr and " requests · " not in done.stdout + done.stderr


def on_a_terminal(*args: str) -> str:
    """What `conformance run` writes when its output is a terminal (a pseudo-terminal here)."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "conformance.cli", "run", *args],
        stdout=terminal,
        stderr=terminal,
        env={**os.environ, "COLUMNS": "160"},
    )
    os.close(terminal)
    chunks = []
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal closed: the run is over
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(timeout=300)
    os.close(controller)
    return b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.slow
def test_on_a_terminal_the_status_is_drawn_live_not_captured_into_the_failure(tmp_path: Path) -> None:
    output = on_a_terminal(
        "--server-behaviour", "slskd", "-k", "lifecycle", "--no-shrink", f"--reports-dir={tmp_path}"
    )
    assert "[test_conversation_lifecycle · finding · " in output
    assert "Captured stderr" not in output

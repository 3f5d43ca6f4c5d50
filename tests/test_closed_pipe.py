"""`conformance … | head`: a reader that leaves early ends the command quietly, as Unix tools do."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

SIGPIPE_EXIT = 141  # 128 + SIGPIPE: what the shell reports for a writer whose reader left


@pytest.mark.parametrize("args", [["run", "--help"], ["--help"], ["requirements"]], ids=" ".join)
def test_output_into_a_closed_pipe_ends_quietly_without_a_traceback(args: list[str]) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first byte is written
    try:
        finished = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from conformance.cli.main import main; sys.exit(main())",
                *args,
            ],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write_end)
    assert finished.stderr == "", finished.stderr
    assert finished.returncode == SIGPIPE_EXIT

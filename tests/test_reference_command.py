"""`conformance serve` and what survives a restart: the reference server as a standalone program."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from conformance.reference import ReferenceOptions, ReferenceServer
from conformance.reference.command import main
from tests.cli import refused_in_one_line
from tests.servers.local import closed_port, taken_port

REPO = Path(__file__).resolve().parents[1]
SECRET = "command-test-key-0123456789"


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--port", "http"], "'http' is not a port number"),
        (["--behaviour", "strict"], "invalid choice: 'strict'"),
        (["--fault", "no-such-fault"], "unknown fault no-such-fault; known faults: ack-all-unknown-200"),
        (["--db", "/nonexistent/dir/state.db", "--port", "0"], "cannot open the database"),
        (["--surprise"], "unrecognized arguments: --surprise"),
    ],
)
def test_bad_options_end_with_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], says: str
) -> None:
    assert says in refused_in_one_line(main(argv), capsys.readouterr(), "conformance serve")


def test_a_taken_port_ends_with_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with taken_port() as port:
        code = main(["--port", str(port)])
    assert f"cannot listen on 127.0.0.1:{port}" in refused_in_one_line(
        code, capsys.readouterr(), "conformance serve"
    )


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "--echo-peer" in capsys.readouterr().out


def test_serve_prints_its_url_but_never_the_key_and_stops_on_ctrl_c() -> None:
    port = closed_port()
    command = [
        sys.executable,
        "-m",
        "conformance.reference.command",
        "--port",
        str(port),
        "--behaviour",
        "slskd",
    ]
    environment = {**os.environ, "PYTHONPATH": str(REPO), "SLSKD_API_KEY": SECRET}
    with subprocess.Popen(
        command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        try:
            line = process.stdout.readline() if process.stdout else ""
            assert f"http://127.0.0.1:{port}/api/v0" in line
            assert SECRET not in line
            base = f"http://127.0.0.1:{port}/api/v0"
            assert requests.get(f"{base}/conversations", timeout=5).status_code == 401
            headers = {"X-API-Key": SECRET}
            assert requests.put(f"{base}/conversations/nobody", headers=headers, timeout=5).status_code == 200
        finally:
            process.send_signal(signal.SIGINT)
            _, err = process.communicate(timeout=10)
    assert process.returncode == 0
    assert "Traceback" not in err


def test_a_database_file_keeps_conversations_across_a_restart(tmp_path: Path) -> None:
    options = ReferenceOptions(db_path=str(tmp_path / "messaging.db"))
    with ReferenceServer(options) as server:
        requests.post(f"{server.base_url}/conversations/echo-peer", json="before")
        requests.delete(f"{server.base_url}/conversations/echo-peer")
    with ReferenceServer(options) as server:
        conversations = f"{server.base_url}/conversations"
        assert requests.get(conversations, params={"includeInactive": "true"}).json() == [
            {
                "username": "echo-peer",
                "isActive": False,
                "unAcknowledgedMessageCount": 0,
                "hasUnAcknowledgedMessages": False,
            }
        ]
        assert requests.post(f"{conversations}/echo-peer", json="after").status_code == 201
        messages = requests.get(f"{conversations}/echo-peer/messages").json()
    assert [m["message"] for m in messages] == ["before", "echo: before", "after", "echo: after"]
    assert [m["id"] for m in messages] == [0, 1, 0, 2]  # incoming ids continue after a restart
    assert [m["timestamp"] for m in messages] == sorted(m["timestamp"] for m in messages)

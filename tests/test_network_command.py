"""`conformance network` as a program: one line when it listens, one line and exit 2 on bad
options, a clean exit on Ctrl-C, and a log line (never a traceback) for a lying client."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from conformance.cli.main import main as cli
from conformance.network.command import build_parser, main, peers_from
from conformance.peers.library import load
from tests.cli import refused_in_one_line
from tests.network_client import RawClient
from tests.servers.local import closed_port, taken_port

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--port", "soulseek"], "'soulseek' is not a port number"),
        (["--echo-peer", "x", "--silent-peer", "x"], "peer 'x' is given two kinds (echo, silent)"),
        (["--offline-peer", " "], "--offline-peer needs a non-empty name"),
        (["--surprise"], "unrecognized arguments: --surprise"),
        (["--rooms", str(REPO / "conformance/peers/library.yaml")], "a rooms file is a mapping"),
    ],
)
def test_bad_options_end_with_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], says: str
) -> None:
    assert says in refused_in_one_line(main(argv), capsys.readouterr(), "conformance network")


@pytest.mark.parametrize(
    ("argv", "peers"),
    [
        ([], {"echo-peer": "echo", "quiet-peer": "silent"}),  # what every network check needs
        (["--echo-peer", "e"], {"e": "echo", "quiet-peer": "silent"}),  # named: no default of its kind
        (["--offline-peer", "echo-peer"], {"echo-peer": "offline", "quiet-peer": "silent"}),
        (["--no-default-peers"], {}),
        (["--no-default-peers", "--silent-peer", "s"], {"s": "silent"}),
    ],
)
def test_with_no_peer_named_of_a_kind_the_network_has_that_kinds_default_peer(
    argv: list[str], peers: dict[str, str]
) -> None:
    assert peers_from(build_parser().parse_args(argv)) == peers


def test_a_taken_port_ends_with_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with taken_port() as port:
        code = cli(["network", "--port", str(port), "--control-port", "0"])
    said = refused_in_one_line(code, capsys.readouterr(), "conformance network")
    assert f"cannot listen on 127.0.0.1:{port}" in said


def test_it_prints_one_line_serves_logs_liars_and_stops_on_ctrl_c() -> None:
    port, control = closed_port(), closed_port()
    command = [sys.executable, "-m", "conformance.network.command", "--port", str(port)]
    command += ["--control-port", str(control), "--echo-peer", "echo", "--offline-peer", "away"]
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    with subprocess.Popen(
        command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        try:
            line = process.stdout.readline() if process.stdout else ""
            assert f"listening on 127.0.0.1:{port}" in line and f"http://127.0.0.1:{control}" in line
            assert "echo (echo), away (offline), quiet-peer (silent)" in line, (
                "a default for a kind not named"
            )
            liar = RawClient(port)
            liar.send(b"\xff\xff\xff\xff")
            assert liar.closed_by_server()
            with urllib.request.urlopen(f"http://127.0.0.1:{control}/peers", timeout=5) as answer:
                kinds = [peer["kind"] for peer in json.load(answer)]
                assert [kind for kind in kinds if kind != "sharing"] == ["offline", "echo", "silent"]
                assert kinds.count("sharing") == len(load())  # the default library's sharing peers
            assert "; 4 chat rooms" in line
            with urllib.request.urlopen(f"http://127.0.0.1:{control}/rooms", timeout=5) as answer:
                assert len(json.load(answer)) == 4  # the default rooms file's
        finally:
            process.send_signal(signal.SIGINT)
            out, err = process.communicate(timeout=10)
    assert process.returncode == 0
    assert out == "" and "Traceback" not in err
    assert "closing 127.0.0.1:" in err and "exceeds" in err

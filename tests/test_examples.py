"""The CI recipes we publish run commands this CLI really has, with options it really takes."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conformance.cli import COMMANDS

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / "examples" / "github-actions" / "slskd-conformance.yml"
COMPOSE = ROOT / "examples" / "docker-compose" / "docker-compose.yml"


def workflow_commands() -> list[list[str]]:
    """Every `conformance …` command line in the workflow's run steps."""
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    commands = []
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            for line in step.get("run", "").splitlines():
                words = shlex.split(line)
                if words and words[0] == "conformance":
                    commands.append(words[1:])
    return commands


def help_text(command: str) -> str:
    completed = subprocess.run(
        [sys.executable, "-m", "conformance.cli", command, "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


def test_the_workflow_parses_and_gates_on_the_suite() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    steps = workflow["jobs"]["conformance"]["steps"]
    assert any("upload-artifact" in step.get("uses", "") for step in steps)
    assert [c[0] for c in workflow_commands()] == ["run", "report"]
    assert "${{ secrets.SLSKD_API_KEY }}" in WORKFLOW.read_text(), "the key comes from a secret, not the file"


@pytest.mark.parametrize("words", workflow_commands(), ids=lambda words: words[0])
def test_every_workflow_command_and_option_exists(words: list[str]) -> None:
    assert words[0] in COMMANDS
    options = [w.split("=")[0] for w in words[1:] if w.startswith("--")]
    assert options, "the commands use options worth checking"
    text = help_text(words[0])
    missing = [option for option in options if option not in text]
    assert not missing, f"conformance {words[0]} has no {missing}"


def test_the_compose_file_takes_the_key_from_the_environment() -> None:
    compose = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    environment = compose["services"]["slskd"]["environment"]
    assert environment["SLSKD_API_KEY"].startswith("${SLSKD_API_KEY")
    ports = compose["services"]["slskd"]["ports"]
    assert "127.0.0.1:5030:5030" in ports, "the API is published on loopback only"

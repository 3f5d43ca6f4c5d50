"""The CI recipes we publish run commands this CLI really has, with options it really takes."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conformance.cli.main import COMMANDS

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / "examples" / "github-actions" / "slskd-conformance.yml"
ACTION = ROOT / "action.yml"
COMPOSE = ROOT / "examples" / "docker-compose" / "docker-compose.yml"
NETWORK_COMPOSE = ROOT / "examples" / "docker-compose" / "docker-compose.network.yml"
# The environment variables slskd reads that the recipes set: slskd's src/slskd/Core/Options.cs
# ([EnvironmentVariable] names, prefixed SLSKD_): WebAuthenticationOptions.ApiKey, .Username,
# .Password; SoulseekOptions.Address, .Port, .Username, .Password.
SLSKD_VARIABLES = {
    "SLSKD_API_KEY",
    "SLSKD_USERNAME",
    "SLSKD_PASSWORD",
    "SLSKD_SLSK_ADDRESS",
    "SLSKD_SLSK_PORT",
    "SLSKD_SLSK_USERNAME",
    "SLSKD_SLSK_PASSWORD",
}


def steps(path: Path) -> list[dict]:
    """The steps of a workflow's jobs, or of a composite action."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    if "runs" in document:
        return document["runs"]["steps"]
    return [step for job in document["jobs"].values() for step in job["steps"]]


def conformance_commands(path: Path) -> list[tuple[str, list[str]]]:
    """(subcommand, options) for every run step that calls `conformance`: every `--option` the
    step's script can pass (an action builds its arguments in an array, so all of the script)."""
    commands = []
    for step in steps(path):
        script = step.get("run", "")
        for command in re.findall(r"\bconformance (\w+)", script):
            commands.append((command, sorted(set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", script)))))
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


def test_the_workflow_runs_the_suite_through_the_action() -> None:
    used = [step for step in steps(WORKFLOW) if step.get("uses") == "./"]
    assert len(used) == 1 and used[0]["with"]["target-url"].startswith("http://127.0.0.1:")
    assert used[0]["with"]["api-key"] == "${{ secrets.SLSKD_API_KEY }}", "the key comes from a secret"
    assert [command for command, _ in conformance_commands(WORKFLOW)] == ["network"], (
        "the workflow starts the simulated network; the action runs the checker"
    )


def test_the_action_takes_the_documented_inputs_and_gives_verdict_and_report_path() -> None:
    action = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) == {"target-url", "api-key", "profile", "network-control", "strict-docs"}
    assert set(action["outputs"]) == {"verdict", "report-path"}
    script = ACTION.read_text(encoding="utf-8")
    for name in action["inputs"]:
        assert script.count(f"${{{{ inputs.{name} }}}}") == 1, f"input {name} reaches the run once, via env"
    for step in steps(ACTION):
        assert "${{ inputs." not in step.get("run", ""), "inputs never pasted into a script"
    assert any("upload-artifact" in step.get("uses", "") for step in steps(ACTION))
    assert [command for command, _ in conformance_commands(ACTION)] == ["run", "report"]


@pytest.mark.parametrize(
    ("command", "options"),
    conformance_commands(ACTION) + conformance_commands(WORKFLOW),
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_every_command_and_option_the_action_passes_exists(command: str, options: list[str]) -> None:
    assert command in COMMANDS
    assert options, "the commands use options worth checking"
    text = help_text(command)
    missing = [option for option in options if option not in text]
    assert not missing, f"conformance {command} has no {missing}"


def test_the_compose_file_takes_the_key_from_the_environment() -> None:
    compose = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    environment = compose["services"]["slskd"]["environment"]
    assert environment["SLSKD_API_KEY"].startswith("${SLSKD_API_KEY")
    ports = compose["services"]["slskd"]["ports"]
    assert "127.0.0.1:5030:5030" in ports, "the API is published on loopback only"


@pytest.mark.parametrize("path", [ACTION, WORKFLOW], ids=lambda path: path.name)
def test_every_run_script_is_valid_bash(path: Path) -> None:
    for step in steps(path):
        if "run" in step:
            checked = subprocess.run(
                ["bash", "-n"], input=step["run"], capture_output=True, text=True, check=False
            )
            assert checked.returncode == 0, f"{step.get('name')}: {checked.stderr}"


@pytest.mark.parametrize("path", [COMPOSE, NETWORK_COMPOSE], ids=lambda path: path.name)
def test_every_slskd_variable_the_compose_files_set_is_one_slskd_reads(path: Path) -> None:
    environment = yaml.safe_load(path.read_text(encoding="utf-8"))["services"]["slskd"]["environment"]
    assert set(environment) <= SLSKD_VARIABLES, set(environment) - SLSKD_VARIABLES


def network_command_line() -> list[str]:
    """The workflow's `conformance network …` line, as words."""
    lines = [line for step in steps(WORKFLOW) for line in step.get("run", "").splitlines()]
    (line,) = [line for line in lines if "conformance network" in line]
    words = shlex.split(line)
    return words[words.index("network") + 1 :]


def test_the_workflow_logs_slskd_in_to_the_simulated_network_it_starts() -> None:
    network = network_command_line()
    port, control = network[network.index("--port") + 1], network[network.index("--control-port") + 1]
    override = yaml.safe_load(NETWORK_COMPOSE.read_text(encoding="utf-8"))["services"]["slskd"]
    assert override["environment"]["SLSKD_SLSK_PORT"] == port
    assert override["environment"]["SLSKD_SLSK_ADDRESS"] == "host.docker.internal"
    assert "host.docker.internal:host-gateway" in override["extra_hosts"]
    text = WORKFLOW.read_text(encoding="utf-8")
    assert f"-f {NETWORK_COMPOSE.relative_to(ROOT)}" in text
    assert f"http://127.0.0.1:{control}/sessions" in text
    assert f'"{override["environment"]["SLSKD_SLSK_USERNAME"]}"' in text, "the workflow waits for that login"
    (action,) = [step for step in steps(WORKFLOW) if step.get("uses") == "./"]
    assert action["with"]["network-control"] == f"http://127.0.0.1:{control}"
    assert action["with"]["profile"] == "full", "proven safe, the gate runs every check"

"""The installed tool: its specs as package data, a fast --version, and a pytest plugin that
runs the suite from any directory yet leaves every other pytest run as it was."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import entry_points
from importlib.resources import files
from pathlib import Path

import pytest

from conformance import __version__
from conformance.cli.runner import SUITE_DIR, names_suite
from conformance.data.resources import CONVERSATIONS_SPEC, MERGED_SPEC, OVERLAY, SPECS

ROOT = Path(__file__).resolve().parents[1]
ENTRY_POINT = "slskd-conformance"
# Variables that would change what a child pytest loads; the comparisons need a clean slate.
PYTEST_VARIABLES = ("PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTEST_DISABLE_PLUGIN_AUTOLOAD")


def pytest_in(directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {name: value for name, value in os.environ.items() if name not in PYTEST_VARIABLES}
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args]
    return subprocess.run(command, cwd=directory, capture_output=True, text=True, env=environment)


def test_the_specs_are_package_data_read_from_the_committed_folder() -> None:
    assert {CONVERSATIONS_SPEC, MERGED_SPEC, OVERLAY} <= set(SPECS.iterdir())
    assert Path(str(files("conformance.specs"))) == SPECS
    assert SPECS == ROOT / "specs", "an editable install reads the committed specs, not a copy"


def test_version_names_the_package_schemathesis_and_the_docs_without_loading_them() -> None:
    probe = (
        "import sys; from conformance.cli.main import main; code = main(['--version']); "
        "print(sorted({'schemathesis', 'hypothesis', 'pytest', 'requests'} & set(sys.modules))); "
        "sys.exit(code)"
    )
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT)
    assert completed.returncode == 0, completed.stderr
    *lines, loaded = completed.stdout.strip().splitlines()
    assert lines[0] == f"slskd-conformance {__version__}"
    assert lines[1].startswith("schemathesis 4.")
    assert "crmne/slskd-python-client@1a9c1fb" in lines[2]
    assert loaded == "[]"


@pytest.mark.parametrize(
    ("args", "pyargs"),
    [
        (["conformance.suite"], True),
        (["--target-url", "http://localhost:5030", "conformance.suite.test_auth::test_x"], True),
        ([str(SUITE_DIR)], False),
        ([f"{SUITE_DIR / 'test_probes.py'}::test_list_is_an_array_of_conversations"], False),
    ],
)
def test_a_command_line_that_selects_the_suite_is_a_conformance_run(args: list[str], pyargs: bool) -> None:
    assert names_suite(args, pyargs=pyargs)


@pytest.mark.parametrize(
    ("args", "pyargs"),
    [
        (["conformance.suite"], False),  # without --pyargs that is a file name, not the suite
        (["tests"], False),
        ([str(ROOT / "tests" / "test_config.py")], False),
        ([f"{SUITE_DIR}_elsewhere"], False),
        (["myproject.suite"], True),
    ],
)
def test_any_other_command_line_is_not(args: list[str], pyargs: bool) -> None:
    assert not names_suite(args, pyargs=pyargs)


def test_the_plugin_is_registered_with_pytest() -> None:
    plugins = {entry.name: entry.value for entry in entry_points(group="pytest11")}
    assert plugins.get(ENTRY_POINT) == "conformance.cli.pytest_entry"


DUMMY_CONFTEST = """
def pytest_addoption(parser):
    parser.addoption("--target-url")  # also the name of one of ours


def pytest_report_header(config):
    return "options: " + " ".join(sorted(vars(config.option)))
"""


def test_an_unrelated_project_runs_exactly_as_without_the_plugin(tmp_path: Path) -> None:
    (tmp_path / "test_one.py").write_text("def test_one():\n    assert 1 + 1 == 2\n", encoding="utf-8")
    (tmp_path / "conftest.py").write_text(DUMMY_CONFTEST, encoding="utf-8")

    def run(*args: str) -> tuple[int, str, str]:
        completed = pytest_in(tmp_path, "--target-url", "x", *args)
        lines = completed.stdout.splitlines()
        options = next((line for line in lines if line.startswith("options: ")), "")
        return completed.returncode, options, lines[-1].split(" in ")[0] if lines else completed.stderr

    installed, without = run(), run("-p", f"no:{ENTRY_POINT}")
    assert installed == without
    code, options, outcome = installed
    assert (code, outcome) == (0, "============================== 1 passed")
    assert "target_url" in options.split()
    assert "slskd_api_key" not in options.split(), "the plugin's options stay out of other runs"


def test_the_suite_runs_by_module_name_from_any_directory(tmp_path: Path) -> None:
    completed = pytest_in(tmp_path, "--pyargs", "conformance.suite.test_auth", "--max-examples", "1", "-q")
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr
    document = json.loads((tmp_path / "reports" / "latest" / "results.json").read_text(encoding="utf-8"))
    assert document["run"]["target"]["kind"] == "embedded"
    assert document["run"]["spec"]["path"] == str(CONVERSATIONS_SPEC)

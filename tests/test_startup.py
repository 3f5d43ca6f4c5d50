"""Start-up: a run of the whole suite reaches its target before pytest collects the suite,
Hypothesis keeps its storage in the user's cache, not in the directory a run starts from, and
draws nothing from the checker's own source."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis.configuration import set_hypothesis_home_dir, storage_directory
from hypothesis.internal.conjecture import providers

from conformance.cli.plugin import runs_whole_suite
from conformance.cli.runner import SUITE_DIR, SUITE_PACKAGE
from conformance.reference.network import DEFAULT_USERNAME
from conformance.run.cache import HYPOTHESIS_VARIABLE, NAME, keep_hypothesis_storage
from conformance.run.source_constants import keep_draws_seeded
from tests.cli import conformance_run


def config(*args: str, pyargs: bool = False, controller: bool = False, **options: object) -> SimpleNamespace:
    """As much of a pytest config as `runs_whole_suite` reads."""
    return SimpleNamespace(
        args=list(args) or [str(SUITE_DIR)],
        option=SimpleNamespace(pyargs=pyargs, **options),
        pluginmanager=SimpleNamespace(has_plugin=lambda name: controller and name == "dsession"),
    )


def test_the_default_command_line_runs_the_whole_suite() -> None:
    assert runs_whole_suite(config())  # type: ignore[arg-type]
    assert runs_whole_suite(config(SUITE_PACKAGE, pyargs=True))  # type: ignore[arg-type]
    assert runs_whole_suite(config(collectonly=False, keyword="", markexpr=""))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "whole_suite_or_not",
    [
        config(collectonly=True),
        config(showfixtures=True),
        config(setupplan=True),
        config(keyword="CONV-ACK-ONE-404"),
        config(markexpr="CONV_ACK_ONE_404"),
        config(deselect=["conformance/suite/test_auth.py"]),
        config(str(SUITE_DIR), str(SUITE_DIR / "test_auth.py")),
        config(f"{SUITE_DIR / 'test_auth.py'}::test_no_credentials"),
        config(str(SUITE_DIR), "no_such_file.py"),
        config(controller=True),
    ],
    ids=["--co", "--fixtures", "--setup-plan", "-k", "-m", "--deselect", "a module", "a node id",
         "a missing path", "xdist controller"],
)  # fmt: skip
def test_a_run_that_lists_selects_or_distributes_waits_for_the_collection(
    whole_suite_or_not: SimpleNamespace,
) -> None:
    """Such a run may select nothing, or be a usage error: either is said before any request."""
    assert not runs_whole_suite(whole_suite_or_not)  # type: ignore[arg-type]


@pytest.mark.slow
def test_a_target_that_is_down_is_said_before_the_suite_is_collected(tmp_path: Path) -> None:
    done = conformance_run(tmp_path, env={"SLSKD_TARGET_URL": "http://127.0.0.1:1"})
    assert done.returncode == 3
    assert "connection refused by 127.0.0.1:1" in done.stderr
    assert "collected" not in done.stdout, "pytest collected the suite before the first request"


def test_what_only_the_reports_need_is_not_loaded_before_the_first_request() -> None:
    """jinja2 and jsonschema render and check the reports at the end; werkzeug is not used."""
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, conformance.cli.plugin, conformance.reference.server; "
         "print(sorted({'jinja2', 'jsonschema', 'werkzeug'} & set(sys.modules)))"],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert loaded.stdout.strip() == "[]"


@pytest.fixture
def hypothesis_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """A cache directory of its own; Hypothesis' storage is put back afterwards."""
    monkeypatch.delenv(HYPOTHESIS_VARIABLE, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    yield tmp_path / "cache"
    set_hypothesis_home_dir(None)


def test_hypothesis_keeps_its_storage_in_the_users_cache(hypothesis_home: Path) -> None:
    assert keep_hypothesis_storage() == hypothesis_home / NAME
    assert storage_directory("unicode_data").path == hypothesis_home / NAME / "hypothesis" / "unicode_data"


def test_an_unusable_cache_falls_back_to_another_directory(hypothesis_home: Path) -> None:
    hypothesis_home.mkdir()
    (hypothesis_home / NAME).write_text("a file where the directory should be", encoding="utf-8")
    kept = keep_hypothesis_storage()
    assert kept is not None and kept != hypothesis_home / NAME and os.access(kept, os.W_OK)


def test_the_users_own_hypothesis_storage_wins(
    hypothesis_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(HYPOTHESIS_VARIABLE, str(hypothesis_home / "mine"))
    assert keep_hypothesis_storage() is None
    assert storage_directory("constants").path == hypothesis_home / "mine" / "constants"


def test_a_run_draws_no_literal_of_the_checker_s_own_source(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(providers, "_get_local_constants", providers._get_local_constants)  # put back after
    assert DEFAULT_USERNAME in providers._get_local_constants().strings  # a checkout: Hypothesis reads it
    assert keep_draws_seeded()
    assert not providers._get_local_constants().strings


def test_a_hypothesis_without_a_pool_of_source_literals_is_left_as_it_is(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delattr(providers, "_get_local_constants")
    assert not keep_draws_seeded()


@pytest.mark.slow
def test_a_run_leaves_nothing_of_hypothesis_in_the_current_directory(tmp_path: Path) -> None:
    cache, cwd = tmp_path / "cache", tmp_path / "elsewhere"
    cwd.mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "conformance.cli", "run", f"--reports-dir={tmp_path / 'reports'}",
         "--max-examples=2", "-q", "-k", "test_operation and GET and messages"],
        capture_output=True, text=True, timeout=300, check=False, cwd=cwd,
        env={**os.environ, "XDG_CACHE_HOME": str(cache)},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert list(cwd.iterdir()) == []
    assert (cache / NAME / "hypothesis").is_dir()

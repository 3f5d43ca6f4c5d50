"""A run cut short says so: verdict "incomplete", the reason once, exit code 4, no tracebacks;
and cleanup still undoes what the run did, or reports what it could not (issue 16, items 6-8).

The exit codes have one map (`conformance.cli.runner`); the runs here are real `conformance run`
processes against the embedded server, the reference server as a live target, or a fake.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests

from conformance.cli.plugin import RUN, _cut_short_by, pytest_runtest_makereport
from conformance.cli.runner import PytestOutcome
from conformance.errors import ExitCode, WriteBlocked
from conformance.reference.server import ReferenceOptions, ReferenceServer
from conformance.reporting.schema import validate_results
from conformance.run import lifecycle
from conformance.transport.bounded import ResponseTooLarge
from conformance.transport.session import BudgetExhausted
from tests.servers.fake_slskd import FakeSlskd
from tests.servers.local import LocalServer, Received, Reply

KEY = "cut-short-api-key-0123456789"


def run(
    tmp_path: Path,
    *args: str,
    interrupt_when: Callable[[], bool] | None = None,
    exited_after: list[float] | None = None,
) -> tuple[int, str, dict]:
    """(exit code, stdout + stderr, results.json) of one `conformance run`; Ctrl-C once
    `interrupt_when()` holds, the seconds from it to the exit appended to `exited_after`."""
    process = subprocess.Popen(
        [
            sys.executable, "-m", "conformance.cli", "run", f"--reports-dir={tmp_path}",
            "--max-examples=3", "-p", "no:randomly", "-n", "0", "-q", *args,
        ],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # a background job ignores it
        start_new_session=True,  # its own process group, which Ctrl-C at a terminal reaches whole
    )  # fmt: skip
    if interrupt_when is not None:
        deadline = time.monotonic() + 120
        while not interrupt_when() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        os.killpg(process.pid, signal.SIGINT)  # the run and any pytest-xdist workers, as a terminal does
        interrupted = time.monotonic()
    output, _ = process.communicate(timeout=300)
    if exited_after is not None and interrupt_when is not None:
        exited_after.append(time.monotonic() - interrupted)
    results = json.loads((tmp_path / "latest" / "results.json").read_text(encoding="utf-8"))
    validate_results(results)
    return process.returncode, output, results


# --- one map of exit codes ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pytest_code", "code"),
    [
        (pytest.ExitCode.OK, ExitCode.CONFORMANT),
        (pytest.ExitCode.TESTS_FAILED, ExitCode.NON_CONFORMANT),
        (pytest.ExitCode.INTERRUPTED, ExitCode.INCOMPLETE),  # Ctrl-C, not a usage error
        (pytest.ExitCode.INTERNAL_ERROR, ExitCode.INTERNAL),  # a crash, not "target unusable"
        (pytest.ExitCode.USAGE_ERROR, ExitCode.USAGE),
        (pytest.ExitCode.NO_TESTS_COLLECTED, ExitCode.USAGE),
    ],
)
def test_pytests_own_codes_are_told_honestly(pytest_code: int, code: ExitCode) -> None:
    assert PytestOutcome().exit_code(pytest_code) is code


def test_the_plugins_decision_wins_unless_the_checker_crashed() -> None:
    outcome = PytestOutcome()
    outcome.decided = ExitCode.TARGET_UNUSABLE
    assert outcome.exit_code(pytest.ExitCode.INTERNAL_ERROR) is ExitCode.TARGET_UNUSABLE
    outcome.pytest_internalerror()
    assert outcome.exit_code(pytest.ExitCode.INTERNAL_ERROR) is ExitCode.INTERNAL


@pytest.mark.parametrize(
    "error",
    [
        BudgetExhausted("request budget of 5 exhausted; raise --max-requests"),
        WriteBlocked("the read-only profile blocked POST /x"),
        ResponseTooLarge("the answer to GET /x is larger than the limit"),
        requests.exceptions.ContentDecodingError("the answer to GET /x does not decode as its coding"),
        ExceptionGroup("hypothesis", [ValueError("other"), BudgetExhausted("request budget of 5 exhausted")]),
    ],
)
def test_a_stop_is_told_from_a_failure(error: BaseException) -> None:
    assert _cut_short_by(error)
    assert _cut_short_by(ValueError("a bug")) is None


# --- runs cut short ---------------------------------------------------------------------------


@pytest.mark.slow
def test_a_spent_budget_is_an_incomplete_run_said_once(tmp_path: Path) -> None:
    code, output, results = run(tmp_path, "--max-requests=40")
    assert code == ExitCode.INCOMPLETE
    assert results["summary"]["verdict"] == "incomplete"
    assert results["summary"]["incomplete"] == ["request budget of 40 exhausted; raise --max-requests"]
    assert output.count("cut short: request budget of 40 exhausted") == 1
    assert "Traceback" not in output and "BudgetExhausted" not in output


@pytest.mark.slow
def test_ctrl_c_is_an_incomplete_run_with_its_reports(tmp_path: Path) -> None:
    with LocalServer(FakeSlskd(api_key=None).handler) as target:  # Ctrl-C in the middle of the run
        code, output, results = run(
            tmp_path, f"--target-url={target.url}", "--rate=20/s",
            interrupt_when=lambda: len(target.received) > 30
        )  # fmt: skip
    assert code == ExitCode.INCOMPLETE
    assert results["summary"]["incomplete"] == ["interrupted (Ctrl-C)"]
    assert "cut short: interrupted (Ctrl-C)" in output


@pytest.mark.slow
def test_ctrl_c_under_xdist_writes_the_partial_report_from_what_the_workers_learned(tmp_path: Path) -> None:
    with LocalServer(FakeSlskd(api_key=None).handler) as target:
        code, _, results = run(
            tmp_path, f"--target-url={target.url}", "--rate=20/s", "-n", "2",
            interrupt_when=lambda: len(target.received) > 40,
        )  # fmt: skip
    assert code == ExitCode.INCOMPLETE
    assert results["summary"]["incomplete"] == ["interrupted (Ctrl-C)"]
    assert results["run"]["requests"] > 0, "the workers' facts reached the report"


@pytest.mark.slow
def test_ctrl_c_ends_the_run_within_2_s_with_cleanup_bounded_and_the_partial_report(tmp_path: Path) -> None:
    slskd = FakeSlskd(api_key=None)

    def slow_to_close(request: Received) -> Reply:
        if request.method == "DELETE":
            time.sleep(3)  # longer than the user waits after Ctrl-C
        if request.method == "GET" and request.path.endswith("/conversations/alice"):
            return Reply.json('{"username": "alice", "isActive": false}')  # not open before the run
        return slskd.answer(request)

    exited_after: list[float] = []
    with LocalServer(slow_to_close) as target:
        code, output, results = run(
            tmp_path, f"--target-url={target.url}", "--profile=safe-writes", "--peer=alice",
            "--rate=none", "-k", "test_operations",
            interrupt_when=lambda: any(r.method == "POST" for r in target.received),
            exited_after=exited_after,
        )  # fmt: skip
        deletes = [r for r in target.received if r.method == "DELETE"]
    assert exited_after[0] < 2.0
    assert code == ExitCode.INCOMPLETE and results["summary"]["incomplete"] == ["interrupted (Ctrl-C)"]
    assert deletes[-1].path.endswith("/conversations/alice"), "cleanup tried to close what the run opened"
    (finding,) = results["run"]["cleanup"]  # and said what it could not, in the partial report
    assert finding.startswith("the conversation with 'alice' the run opened is still active")
    assert f"cleanup could not undo: {finding}" in output


@pytest.mark.slow
def test_cleanup_closes_what_the_run_opened_even_after_the_budget_ran_out(tmp_path: Path) -> None:
    with ReferenceServer(ReferenceOptions(api_key=KEY)) as live:
        code, _, results = run(
            tmp_path, f"--target-url={live.url}", f"--api-key={KEY}", "--profile=safe-writes",
            "--peer=alice", "--rate=none", "--max-requests=70", "-k", "test_operations",
        )  # fmt: skip
        touched = requests.get(
            f"{live.base_url}/conversations", params={"includeInactive": "true"}, headers={"X-API-Key": KEY}
        ).json()
    assert code == ExitCode.INCOMPLETE and results["summary"]["verdict"] == "incomplete"
    assert [c["username"] for c in touched] == ["alice"], "the run wrote before its budget ran out"
    assert not touched[0]["isActive"], "cleanup closed the conversation with its own reserve"
    assert results["run"]["cleanup"] == []


@pytest.mark.slow
def test_what_cleanup_cannot_undo_is_a_finding_in_the_terminal_summary(tmp_path: Path) -> None:
    slskd = FakeSlskd(api_key=None)

    def refuses_to_close(request: Received) -> Reply:
        if request.method == "DELETE":
            return Reply(500)
        if request.method == "GET" and request.path.endswith("/conversations/alice"):
            return Reply.json('{"username": "alice", "isActive": false}')  # not open before the run
        return slskd.answer(request)

    with LocalServer(refuses_to_close) as target:
        _, output, results = run(
            tmp_path, f"--target-url={target.url}", "--profile=safe-writes", "--peer=alice",
            "--rate=none", "-k", "test_operations",
        )  # fmt: skip
    said = "the conversation with 'alice' the run opened is still active: DELETE answered 500"
    assert results["run"]["cleanup"] == [said]
    assert f"cleanup could not undo: {said}" in output


def test_a_test_cut_short_is_reported_without_rendering_its_traceback() -> None:
    """The reason is all the report shows, so the traceback through Hypothesis and
    Schemathesis (the source of every frame read back) is never rendered; any other error is
    left to pytest."""

    def no_traceback(excinfo: object) -> None:
        raise AssertionError("a traceback was rendered")

    item = SimpleNamespace(
        nodeid="suite.py::test_x", location=("suite.py", 1, "test_x"), keywords={"test_x": 1},
        user_properties=[], config=SimpleNamespace(stash={RUN: object()}), repr_failure=no_traceback,
    )  # fmt: skip

    def call(error: BaseException) -> SimpleNamespace:
        return SimpleNamespace(
            excinfo=SimpleNamespace(value=error), when="call", duration=0.5, start=1.0, stop=1.5
        )

    report = pytest_runtest_makereport(item, call(BudgetExhausted("request budget of 40 exhausted")))  # type: ignore[arg-type]
    assert report is not None and (report.outcome, report.when, report.duration) == ("skipped", "call", 0.5)
    assert pytest_runtest_makereport(item, call(ValueError("a bug"))) is None  # type: ignore[arg-type]


def test_after_ctrl_c_every_ledger_shares_the_one_second_of_cleanup(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [50.0]
    monkeypatch.setattr(lifecycle.time, "monotonic", lambda: now[0])
    given: list[float | None] = []

    class SlowLedger:
        def close_opened(self, session: object, base_url: str, within: float | None = None) -> list[str]:
            given.append(within)
            now[0] += 0.75  # this ledger's deletes took most of the second
            return []

    run = SimpleNamespace(
        target=SimpleNamespace(kind="live", base_url="http://slskd/api/v0", server=None),
        session=SimpleNamespace(close=lambda: None),
        config=SimpleNamespace(keep=False),
        interrupted=True,
        ledgers=[SlowLedger(), SlowLedger()],
        cleanup_failures=[],
    )
    lifecycle.Run.cleanup(run)  # type: ignore[arg-type]
    assert given == [lifecycle.CLEANUP_AFTER_CTRL_C, pytest.approx(lifecycle.CLEANUP_AFTER_CTRL_C - 0.75)]

"""The pytest front door: options, the run's lifecycle around the session, fixtures, exit codes.

Loaded by the repository's root `conftest.py` and by `conformance run` (`-p conformance.plugin`).
It stays inert unless the collected items include the conformance suite, so the checker's
own tests can load it without starting a run.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest

from conformance.checks.context import SuiteContext
from conformance.checks.failures import RequirementFailed
from conformance.config import RunConfig, add_options
from conformance.engine import ConformanceRun
from conformance.errors import ConformanceError, ExitCode
from conformance.reporting.failures import failure_blocks
from conformance.reporting.progress import ProgressLine, status_text
from conformance.reporting.terminal import summary_lines
from conformance.requirements.judge import failed_is_defect
from conformance.requirements.selection import marker_name, requirements_of
from conformance.runner import names_suite
from conformance.transport.redaction import redact_report, redact_text

RESULTS_KEY = "slskd-conformance"

_run: ConformanceRun | None = None


def current_run() -> ConformanceRun:
    """The active run; the suite's modules read its config at import (settings, profile)."""
    if _run is None:
        raise RuntimeError("the conformance suite runs only through the slskd-conformance plugin")
    return _run


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def _runs_suite(config: pytest.Config) -> bool:
    return names_suite(config.args, pyargs=config.option.pyargs)


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> int | None:
    """Read and check the run's options before pytest starts: a bad option or file is our
    one line and exit 2, with nothing of pytest's around it (no session, no banner)."""
    global _run
    if not _runs_suite(config) or config.option.help or config.option.version:
        return None
    try:
        _run = ConformanceRun(RunConfig.from_pytest(config))
    except ConformanceError as error:
        sys.stderr.write(f"slskd-conformance: {error}\n")
        return int(error.exit_code)
    return None


@pytest.hookimpl(tryfirst=True)  # before -k and -m deselect
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every requirement a test checks is one of its keywords (`-k CONV-ACK-ONE-404`) and
    one of its markers (`-m CONV_ACK_ONE_404`)."""
    if _run is None:
        return
    for requirement in _run.catalogue:
        config.addinivalue_line("markers", f"{marker_name(requirement)}: checks requirement {requirement}")
    for item in items:
        test = getattr(item, "originalname", item.name)
        label = item.name[len(test) + 1 : -1] if item.name.startswith(f"{test}[") else None
        scenario = getattr(getattr(item, "callspec", None), "params", {}).get("scenario")
        module = item.module.__name__.rsplit(".", 1)[-1] if isinstance(item, pytest.Function) else ""
        for requirement in requirements_of(
            test, module, label, getattr(scenario, "name", None), _run.catalogue
        ):
            item.extra_keyword_matches.add(requirement)
            item.add_marker(marker_name(requirement))


def pytest_collection_finish(session: pytest.Session) -> None:
    """Reach the target once, before any test: a bad target is one line, not N errors. Nothing
    selected, or only listing (--co): no target, hence no report and `latest` left alone."""
    if _run is None or not session.items or session.config.option.collectonly:
        return
    try:
        _run.start()
    except ConformanceError as error:
        _exit(str(error), error.exit_code)
    if _progress is not None:
        _run.recorder.listeners.append(_progress.tick)


class _Stop(pytest.exit.Exception):  # type: ignore[name-defined,misc]
    """Ends the session for an error we have already said, in one line."""


def _exit(message: str, code: ExitCode) -> None:
    if _run is not None:
        message = redact_text(message, _run.secrets)
    sys.stderr.write(f"slskd-conformance: {message}\n")
    raise _Stop(message, returncode=int(code))


@pytest.hookimpl(trylast=True)
def pytest_keyboard_interrupt(excinfo: pytest.ExceptionInfo[BaseException]) -> None:
    """pytest would repeat our line as a `!!! _pytest.outcomes.Exit: …` banner: said once is enough."""
    if (
        isinstance(excinfo.value, _Stop)
        and _terminal is not None
        and hasattr(_terminal, "_keyboardinterrupt_memo")
    ):
        _terminal._keyboardinterrupt_memo = None


_terminal: Any = None


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    global _terminal, _progress
    _terminal = config.pluginmanager.get_plugin("terminalreporter")
    stream = sys.__stderr__
    quiet = (
        config.option.verbose < 0 or hasattr(config, "workerinput") or config.getoption("numprocesses", None)
    )
    if _run is not None and _terminal is not None and stream is not None and stream.isatty() and not quiet:
        _progress = ProgressLine(stream, _status, flush=config.get_terminal_writer().flush)


_progress: ProgressLine | None = None
_current_test = ""


def _status() -> str:
    assert _run is not None
    budget = _run.context.shrink_budget if _run.context else None
    failing = {r for r, tally in _run.results.tallies.items() if tally.failures} | set(
        _run.recorder.newest_failures()
    )
    defects = sum(failed_is_defect(_run.catalogue[r].level, _run.config.strict_docs) for r in failing)
    shrinking = budget.active if budget else None
    return status_text(
        _current_test, shrinking, budget.left if budget else 0.0, _run.recorder.requests, defects
    )


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_logstart(nodeid: str) -> None:
    """pytest is about to write: take the status line away first."""
    global _current_test
    _current_test = nodeid.rsplit("::", 1)[-1]
    if _progress is not None:
        _progress.clear()


@pytest.fixture(scope="session")
def conformance() -> SuiteContext:
    run = current_run()
    if run.context is None:
        pytest.skip("the target was not reached")
    return run.context


@pytest.fixture(scope="session")
def conformance_settings() -> hypothesis.settings:
    return suite_settings()


def suite_settings() -> hypothesis.settings:
    """Hypothesis settings every generated test shares: reproducible by --seed, no database."""
    config = current_run().config
    phases = [phase for phase in hypothesis.Phase if config.shrink or phase is not hypothesis.Phase.shrink]
    return hypothesis.settings(
        max_examples=config.max_examples,
        phases=phases,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(hypothesis.HealthCheck),
        print_blob=False,
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """A generated-case test shrinks its failure within what is left of the run's budget
    (the state machine manages its own two passes: find every defect, then shrink)."""
    context = _run.context if _run is not None else None
    if context is None or not getattr(getattr(item, "obj", None), "is_hypothesis_test", False):
        yield
        return
    failed: list[bool] = []
    with context.shrink_budget.limit(item.name, charged=lambda: any(failed)):
        outcome = yield
        failed.append(
            outcome.excinfo is not None and not issubclass(outcome.excinfo[0], pytest.skip.Exception)
        )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Ship this item's verdicts on its report, so tallies survive pytest-xdist workers."""
    outcome = yield
    if _run is None:
        return
    report = outcome.get_result()
    if call.when == "call" and report.failed and call.excinfo and _is_requirement_failure(call.excinfo.value):
        blocks = failure_blocks(_run.catalogue, _run.recorder.newest_failures(), _run.config.strict_docs)
        if blocks:  # the requirement, the answer and curl, instead of a traceback through Hypothesis
            report.longrepr = blocks
    redact_report(report, _run.secrets)  # before the terminal, --junitxml or xdist see it
    item.stash[_ELAPSED] = item.stash.get(_ELAPSED, 0.0) + report.duration
    if call.when == "teardown":
        report.user_properties.append((RESULTS_KEY, _run.recorder.drain(item.stash[_ELAPSED])))


_ELAPSED = pytest.StashKey[float]()  # setup + call + teardown of an item, so far


def _is_requirement_failure(error: BaseException) -> bool:
    """A verdict of ours (a requirement failed), as opposed to a bug that needs its traceback."""
    if isinstance(error, BaseExceptionGroup):
        return all(_is_requirement_failure(inner) for inner in error.exceptions)
    return isinstance(error, (RequirementFailed, pytest.fail.Exception))


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Iterator[None]:
    outcome = yield
    if _run is not None:
        redact_report(outcome.get_result(), _run.secrets)


@pytest.hookimpl(tryfirst=True)  # before pytest writes its dot: the status line goes first
def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if _progress is not None:
        _progress.clear()
    if _run is None:
        return
    for key, value in report.user_properties:
        if key == RESULTS_KEY:
            _run.results.absorb(value)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """pytest-xdist controller: adopt what a worker learned about the target."""
    facts = getattr(node, "workeroutput", {}).get(RESULTS_KEY)
    if _run is not None and facts:
        _run.adopt(facts)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _progress is not None:
        _progress.clear()
    if _run is None:
        return
    _run.cleanup()
    if hasattr(session.config, "workerinput"):  # an xdist worker: the controller writes the reports
        if _run.target is not None:
            session.config.workeroutput[RESULTS_KEY] = _run.facts()  # type: ignore[attr-defined]
        return
    if not _run.has_facts:
        return
    try:
        document, directory = _run.write_reports()
    except ConformanceError as error:
        _exit(str(error), error.exit_code)
        return
    shrinking = _run.context.shrink_budget.summary() if _run.context else None
    session.config.stash[_SUMMARY] = summary_lines(document, directory) + (
        [f"  {shrinking}"] if shrinking else []
    )
    if exitstatus in (ExitCode.CONFORMANT, ExitCode.NON_CONFORMANT):
        failed = exitstatus == ExitCode.NON_CONFORMANT or document["summary"]["defects"]
        session.exitstatus = int(ExitCode.NON_CONFORMANT if failed else ExitCode.CONFORMANT)


_SUMMARY = pytest.StashKey[list[str]]()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    lines = config.stash.get(_SUMMARY, None)
    if lines:
        terminalreporter.section("slskd conformance")
        for line in lines:
            terminalreporter.write_line(line)

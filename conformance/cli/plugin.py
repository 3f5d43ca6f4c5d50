"""The pytest front door: options, the run's lifecycle around the session, fixtures, exit codes.

Loaded by the repository's root `conftest.py` and by `conformance run` (`-p conformance.cli.plugin`).
It stays inert unless the command line selects the conformance suite, so the checker's own
tests can load it without starting a run.

The `Run` lives in `config.stash` and is driven by `RunHooks`, registered only for a run;
tests reach it through fixtures. The suite's modules need the run's fixed inputs while pytest
imports them (Schemathesis parametrizes at collection), so those, and only those, are
published as the immutable `Plan`: `suite_plan()`.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Generator, Iterator
from contextlib import nullcontext
from pathlib import Path
from types import FrameType
from typing import Any

import hypothesis
import pytest

from conformance.checks.context import SuiteContext
from conformance.checks.failures import RequirementFailed
from conformance.cli.config import RunConfig
from conformance.cli.options import add_options, run_config
from conformance.cli.runner import DECIDED, SUITE_DIR, SUITE_PACKAGE, names_suite
from conformance.cli.workers import TakeWorkersFacts
from conformance.errors import ConformanceError, ExitCode, RunCutShort
from conformance.reporting.failures import failure_blocks
from conformance.reporting.progress import ProgressLine, status_text
from conformance.reporting.terminal import summary_lines
from conformance.requirements.judge import failed_is_defect
from conformance.requirements.selection import marker_name, requirements_of
from conformance.run import Plan, Run
from conformance.run.cache import keep_hypothesis_storage
from conformance.run.gc_settings import settle_imports
from conformance.run.source_constants import keep_draws_seeded
from conformance.transport.bounded import UNREADABLE
from conformance.transport.redaction import redact_report, redact_text

RESULTS_KEY = "slskd-conformance"
INTERRUPTED = "interrupted (Ctrl-C)"  # said once: the summary drops repeated reasons
RUN = pytest.StashKey[Run]()
_SUMMARY = pytest.StashKey[list[str]]()
_ELAPSED = pytest.StashKey[float]()  # setup + call + teardown of an item, so far

_plan: Plan | None = None  # set while a run is configured; see the module docstring


def suite_plan() -> Plan:
    """What the run tests (config, specs, catalogue), for the suite's modules at import."""
    if _plan is None:
        raise RuntimeError("the conformance suite runs only through the slskd-conformance plugin")
    return _plan


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> int | None:
    """Read and check the run's options before pytest starts: a bad option or file is our
    one line and exit 2, with nothing of pytest's around it (no session, no banner)."""
    global _plan
    if (
        not names_suite(config.args, pyargs=config.option.pyargs)
        or config.option.help
        or config.option.version
    ):
        return None
    keep_hypothesis_storage()  # not `.hypothesis/` in the current directory
    keep_draws_seeded()  # the same requests for a seed from a checkout as from an install
    try:
        run = Run(run_config(config))
    except ConformanceError as error:
        sys.stderr.write(f"slskd-conformance: {error}\n")
        config.stash[DECIDED] = error.exit_code
        return int(error.exit_code)
    config.stash[RUN] = run
    config.pluginmanager.register(RunHooks(run), "slskd-conformance-run")
    config.pluginmanager.register(TakeWorkersFacts(), "slskd-conformance-workers")
    _plan = run.plan
    settle_imports()  # everything a run needs to start is imported by now
    return None


def pytest_unconfigure(config: pytest.Config) -> None:
    global _plan
    if RUN in config.stash:
        _plan = None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> pytest.TestReport | None:
    """The report of a test the run cut short, made without pytest's traceback: the test could
    not judge, so `RunHooks` shows the reason, never the traceback, and rendering one reads
    the source of every frame through Hypothesis and Schemathesis (a run cut short by
    --max-requests spent three quarters of its time on tracebacks it then dropped)."""
    error = call.excinfo.value if call.excinfo else None
    if error is None or RUN not in item.config.stash or _cut_short_by(error) is None:
        return None
    keywords = dict.fromkeys(item.keywords, 1)
    return pytest.TestReport(
        item.nodeid, item.location, keywords, "skipped", None, call.when,
        duration=call.duration, start=call.start, stop=call.stop, user_properties=item.user_properties,
    )  # fmt: skip


@pytest.fixture(scope="session")
def conformance_run(pytestconfig: pytest.Config) -> Run:
    if RUN not in pytestconfig.stash:
        raise RuntimeError("the conformance suite runs only through the slskd-conformance plugin")
    return pytestconfig.stash[RUN]


@pytest.fixture(scope="session")
def conformance_config(conformance_run: Run) -> RunConfig:
    """The run's validated options, for a test that depends on one (e.g. --network-control)."""
    return conformance_run.config


@pytest.fixture(scope="session")
def conformance(conformance_run: Run) -> SuiteContext:
    if conformance_run.context is None:
        pytest.skip("the target was not reached")
    return conformance_run.context


@pytest.fixture(scope="session")
def why_no_writes(conformance_run: Run) -> str | None:
    """None when the run checks writes; otherwise why it does not (the skip reason)."""
    return conformance_run.why_no_writes


@pytest.fixture(scope="session")
def conformance_settings() -> hypothesis.settings:
    return suite_settings()


def suite_settings() -> hypothesis.settings:
    """Hypothesis settings every generated test shares: no database, so that a run depends on
    its --seed alone, which each generated test applies itself (Schemathesis' `seed`,
    `find_defects(seed=)`); `derandomize` would ignore it."""
    config = suite_plan().config
    phases = [phase for phase in hypothesis.Phase if config.shrink or phase is not hypothesis.Phase.shrink]
    return hypothesis.settings(
        max_examples=config.max_examples,
        phases=phases,
        database=None,
        deadline=None,
        suppress_health_check=list(hypothesis.HealthCheck),
        print_blob=False,
    )


class _Stop(pytest.exit.Exception):  # type: ignore[name-defined,misc]
    """Ends the session for an error we have already said, in one line."""


class RunHooks:
    """The hooks that drive one run, holding its `Run`; registered only when the suite runs."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.terminal: Any = None
        self.progress: ProgressLine | None = None  # the status line, on a terminal only
        self.current_test = ""
        self.previous_sigint: Any = None  # the SIGINT handler before the run's own
        self.selected = False  # -k and -m chose the tests without a usage error

    @pytest.hookimpl(trylast=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        self.terminal = config.pluginmanager.get_plugin("terminalreporter")
        stream = sys.__stderr__
        quiet = (
            config.option.verbose < 0
            or hasattr(config, "workerinput")
            or config.getoption("numprocesses", None)
        )
        if self.terminal is not None and stream is not None and stream.isatty() and not quiet:
            capture = config.pluginmanager.getplugin("capturemanager")
            self.progress = ProgressLine(
                stream,
                self._status,
                flush=config.get_terminal_writer().flush,
                uncaptured=capture.global_and_fixture_disabled if capture is not None else nullcontext,
            )

    def _status(self) -> str:
        run = self.run
        budget = run.context.shrink_budget if run.context else None
        failing = {r for r, tally in run.results.tallies.items() if tally.failures} | set(
            run.recorder.newest_failures()
        )
        defects = sum(failed_is_defect(run.plan.catalogue[r].level, run.config.strict_docs) for r in failing)
        shrinking = budget.active if budget else None
        return status_text(
            self.current_test, shrinking, budget.left if budget else 0.0, run.recorder.requests, defects
        )

    def _clear_progress(self) -> None:
        if self.progress is not None:
            self.progress.clear()

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logstart(self, nodeid: str) -> None:
        """pytest is about to write: take the status line away first."""
        self.current_test = nodeid.rsplit("::", 1)[-1]
        self._clear_progress()

    def _exit(self, config: pytest.Config, error: ConformanceError) -> None:
        """End the run with one line and the error's exit code, decided here (`runner.DECIDED`)."""
        message = redact_text(str(error), self.run.secrets)
        sys.stderr.write(f"slskd-conformance: {message}\n")
        config.stash[DECIDED] = error.exit_code
        raise _Stop(message, returncode=int(error.exit_code))

    def _on_ctrl_c(self, signum: int, frame: FrameType | None) -> None:
        """Remember Ctrl-C, then raise it as Python does; if it is swallowed where it lands (in a
        GC callback Hypothesis installs), the session raises it again at the next request."""
        self.run.interrupted = True
        self.run.cut_short.append(INTERRUPTED)
        signal.default_int_handler(signum, frame)

    @pytest.hookimpl(wrapper=True)
    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> Generator[None]:
        """Ctrl-C: pytest shows only the line where it landed (unless --full-trace), yet renders
        the whole traceback first, reading the source of every frame through Hypothesis and
        Schemathesis (a second of the user's wait): it gets the traceback from the frame it
        shows on. pytest would repeat our line as a `!!! _pytest.outcomes.Exit: …` banner:
        said once is enough."""
        if isinstance(excinfo.value, KeyboardInterrupt):
            self.run.interrupted = True
            self.run.cut_short.append(INTERRUPTED)
        full = self.terminal is not None and self.terminal.config.option.fulltrace
        shown = [i for i, entry in enumerate(excinfo.traceback) if not entry.ishidden(excinfo)]
        if shown and not full:
            excinfo.traceback = excinfo.traceback[shown[-1] :]
        yield
        if isinstance(excinfo.value, _Stop) and hasattr(self.terminal, "_keyboardinterrupt_memo"):
            self.terminal._keyboardinterrupt_memo = None

    @pytest.hookimpl(wrapper=True)  # around -k and -m deselecting
    def pytest_collection_modifyitems(
        self, config: pytest.Config, items: list[pytest.Item]
    ) -> Generator[None, None, None]:
        """Every requirement a test checks is one of its keywords (`-k CONV-ACK-ONE-404`) and
        one of its markers (`-m CONV_ACK_ONE_404`). Selecting is done when the hook returns:
        a bad -k or -m raises instead, and then no run starts (pytest still finishes the
        collection)."""
        catalogue = self.run.plan.catalogue
        for requirement in catalogue:
            config.addinivalue_line(
                "markers", f"{marker_name(requirement)}: checks requirement {requirement}"
            )
        for item in items:
            test = getattr(item, "originalname", item.name)
            label = item.name[len(test) + 1 : -1] if item.name.startswith(f"{test}[") else None
            scenario = getattr(getattr(item, "callspec", None), "params", {}).get("scenario")
            module = item.module.__name__.rsplit(".", 1)[-1] if isinstance(item, pytest.Function) else ""
            for requirement in requirements_of(
                test, module, label, getattr(scenario, "name", None), catalogue
            ):
                item.extra_keyword_matches.add(requirement)
                item.add_marker(marker_name(requirement))
        yield
        self.selected = True

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection(self, session: pytest.Session) -> None:
        """A run of the whole suite reaches its target before collecting: the first request
        leaves as soon as the options are read, not after Schemathesis has built every
        operation's tests (half a second). Any other run waits for the collection to say
        whether it runs anything at all (`pytest_collection_finish`)."""
        if runs_whole_suite(session.config):
            self._start(session.config)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Reach the target once, before any test: a bad target is one line, not N errors. Nothing
        selected, or only listing (--co): no target, hence no report and `latest` left alone."""
        if not self.selected or not session.items or session.config.option.collectonly:
            return
        if self.run.target is None:
            self._start(session.config)

    def _start(self, config: pytest.Config) -> None:
        try:
            self.run.start()
        except ConformanceError as error:
            self._exit(config, error)
        if threading.current_thread() is threading.main_thread():
            self.previous_sigint = signal.signal(signal.SIGINT, self._on_ctrl_c)
        if self.progress is not None:
            self.run.recorder.listeners.append(self.progress.tick)
        if self.run.context is not None and self.terminal is not None:
            self.run.context.shrink_budget.announce = lambda text: self._say(config, text)

    def _say(self, config: pytest.Config, text: str) -> None:
        """One line on the terminal now, in the middle of a test (pytest's capture suspended)."""
        capture = config.pluginmanager.getplugin("capturemanager")
        with capture.global_and_fixture_disabled() if capture is not None else nullcontext():
            self._clear_progress()
            writer = config.get_terminal_writer()
            writer.line("")
            writer.line(f"slskd-conformance: {text}")

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Iterator[None]:
        """A generated-case test shrinks its failure within what is left of the run's budget
        (the state machine manages its own two passes: find every defect, then shrink)."""
        context = self.run.context
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
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
        """Ship this item's verdicts on its report, so tallies survive pytest-xdist workers."""
        outcome = yield
        run = self.run
        report = outcome.get_result()
        error = call.excinfo.value if call.excinfo else None
        stop = _cut_short_by(error) if error else None
        if stop is not None:  # not a finding about the target: the test could not judge; no traceback
            run.cut_short.append(stop)
            report.outcome = "skipped"
            report.longrepr = (str(item.path), item.location[1] or 0, f"incomplete: {stop}")
        elif call.when == "call" and report.failed and error and _is_requirement_failure(error):
            blocks = failure_blocks(
                run.plan.catalogue, run.recorder.newest_failures(), run.config.strict_docs
            )
            if blocks:  # the requirement, the answer and curl, instead of a traceback through Hypothesis
                report.longrepr = blocks
        redact_report(report, run.secrets)  # before the terminal, --junitxml or xdist see it
        item.stash[_ELAPSED] = item.stash.get(_ELAPSED, 0.0) + report.duration
        if call.when == "teardown":
            report.user_properties.append((RESULTS_KEY, run.recorder.drain(item.stash[_ELAPSED])))

    @pytest.hookimpl(hookwrapper=True)
    def pytest_make_collect_report(self, collector: pytest.Collector) -> Iterator[None]:
        outcome = yield
        redact_report(outcome.get_result(), self.run.secrets)

    @pytest.hookimpl(tryfirst=True)  # before pytest writes its dot: the status line goes first
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self._clear_progress()
        for key, value in report.user_properties:
            if key == RESULTS_KEY:
                self.run.results.absorb(value)

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """pytest-xdist controller: adopt what a worker learned about the target."""
        facts = getattr(node, "workeroutput", {}).get(RESULTS_KEY)
        if facts:
            self.run.adopt(facts)

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.previous_sigint is not None:  # Ctrl-C from now on: no run of ours to tell
            signal.signal(signal.SIGINT, self.previous_sigint)
        self._clear_progress()
        run = self.run
        run.cleanup()
        if hasattr(session.config, "workerinput"):  # an xdist worker: the controller writes the reports
            if run.target is not None:
                session.config.workeroutput[RESULTS_KEY] = run.facts()  # type: ignore[attr-defined]
            return
        if not run.has_facts:
            return
        try:
            document, directory = run.write_reports()
        except ConformanceError as error:
            self._exit(session.config, error)
            return
        shrinking = run.context.shrink_budget.summary() if run.context else None
        session.config.stash[_SUMMARY] = summary_lines(document, directory) + (
            [f"  {shrinking}"] if shrinking else []
        )
        if document["summary"]["verdict"] == "incomplete":
            decided = ExitCode.INCOMPLETE
        elif exitstatus in (ExitCode.CONFORMANT, ExitCode.NON_CONFORMANT):
            failed = exitstatus == ExitCode.NON_CONFORMANT or document["summary"]["defects"]
            decided = ExitCode.NON_CONFORMANT if failed else ExitCode.CONFORMANT
        else:
            return  # pytest's own outcome (a usage error, a crash): runner.PYTEST_CODES tells it
        session.config.stash[DECIDED] = decided
        session.exitstatus = int(decided)


# pytest's options (their `dest`) that list instead of running, or may leave some tests out.
_SELECTING_OR_LISTING = (
    "collectonly", "setuponly", "setupplan", "showfixtures", "show_fixtures_per_test", "looponfail",
    "keyword", "markexpr", "deselect", "ignore", "ignore_glob", "lf", "stepwise",
)  # fmt: skip


def runs_whole_suite(config: pytest.Config) -> bool:
    """Whether this process runs every test of the suite, as `conformance run` does by default:
    nothing only listed (--co, --fixtures, --setup-plan …), nothing left out (-k, -m, --deselect,
    a path or node id inside the suite: any of them may select nothing, or be a usage error,
    which must be said before any request), and not the pytest-xdist controller (its workers
    reach the target, not it)."""
    return (
        all(_is_whole_suite(arg, pyargs=config.option.pyargs) for arg in config.args)
        and not any(getattr(config.option, name, None) for name in _SELECTING_OR_LISTING)
        and not config.pluginmanager.has_plugin("dsession")
    )


def _is_whole_suite(arg: str, *, pyargs: bool) -> bool:
    if pyargs and arg == SUITE_PACKAGE:
        return True
    return "::" not in arg and Path(arg).resolve() == SUITE_DIR


def _cut_short_by(error: BaseException) -> str | None:
    """Why a test stopped without judging (the run is then incomplete), or None for any other error."""
    if isinstance(error, BaseExceptionGroup):
        return next(filter(None, map(_cut_short_by, error.exceptions)), None)
    if isinstance(error, (RunCutShort, *UNREADABLE)):
        return str(error)
    return None


def _is_requirement_failure(error: BaseException) -> bool:
    """A verdict of ours (a requirement failed), as opposed to a bug that needs its traceback."""
    if isinstance(error, BaseExceptionGroup):
        return all(_is_requirement_failure(inner) for inner in error.exceptions)
    return isinstance(error, (RequirementFailed, pytest.fail.Exception))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    lines = config.stash.get(_SUMMARY, None)
    if lines:
        terminalreporter.section("slskd conformance")
        for line in lines:
            terminalreporter.write_line(line)

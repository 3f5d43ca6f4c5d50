"""`Run`: the steps of `conformance.run`, in order, holding what one step hands the next.

The pytest plugin drives it: `Run(config)` before collection, `start()` before collecting a
run of the whole suite (else once collection is done), `cleanup()` and `write_reports()` when
the session finishes. Under pytest-xdist each
worker starts its own `Run` and the controller `adopt`s their facts.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Any

from conformance.apis import installed
from conformance.apis.interface import Ledger
from conformance.checks.context import SuiteContext
from conformance.cli.config import ENVIRONMENT, RunConfig
from conformance.results.collector import CaseRecorder, RunResults
from conformance.results.exchange import Exchange
from conformance.run.context import suite_context
from conformance.run.document import Clock, results_document
from conformance.run.facts import Facts, fold, target_facts
from conformance.run.network_gaps import network_section, unimplemented_now
from conformance.run.plan import load_plan
from conformance.run.reports import write_reports
from conformance.run.skips import skips, why_no_writes
from conformance.run.target import Target, close, reach
from conformance.transport.curl import curl_command
from conformance.transport.redaction import redact_exchange, redact_text
from conformance.transport.session import GuardedSession

# Seconds cleanup may take after Ctrl-C: the user asked to stop, and the run must end within
# 2 s with its partial report written (about half a second more). A change not undone in
# time is a cleanup finding like any other, in the report and the terminal.
CLEANUP_AFTER_CTRL_C = 1.0


class Run:
    def __init__(self, config: RunConfig) -> None:
        self.config = config
        self.plan = load_plan(config)
        self.clock = Clock()
        self._embedded_key = secrets.token_urlsafe(24) if config.target_url is None else None
        self.secrets = {s for s in (*config.secrets, self._embedded_key) if s}
        # secret → the variable a pasted curl line reads it from (the embedded key plays SLSKD_API_KEY)
        self.secret_variables = config.secret_variables | (
            {self._embedded_key: ENVIRONMENT["--api-key"]} if self._embedded_key else {}
        )
        self.recorder = CaseRecorder(
            redact=lambda exchange: redact_exchange(exchange, self.secrets),
            curl=lambda exchange: curl_command(exchange, self.secret_variables),
            mask=lambda text: redact_text(text, self.secrets),
            operations={rid: requirement.operations for rid, requirement in self.plan.catalogue.items()},
        )
        self.results = RunResults(self.plan.catalogue)
        self.ledgers: list[Ledger] = [api.ledger() for api in installed() if api.ledger is not None]
        self.target: Target | None = None
        self.session: GuardedSession | None = None
        self.context: SuiteContext | None = None
        self.interrupted = False  # Ctrl-C was pressed (the plugin's signal handler says so)
        self.cut_short: list[str] = []  # why tests stopped without judging: the run is incomplete
        self.cleanup_failures: list[str] = []  # what cleanup could not undo: a finding
        self._adopted: Facts | None = None
        self.network_before: list[dict[str, Any]] | None = None  # what the network lacked at the start

    def start(self) -> SuiteContext:
        """Reach the target and build the checks' context; raises TargetError/ConfigError."""
        reached = reach(self.config, self._embedded_key, self._on_exchange, lambda: self.interrupted)
        self.target, self.session = reached.target, reached.session
        if self.config.network_control:  # proven on the network: its gaps so far are not this run's
            self.network_before = unimplemented_now(self.config.network_control, self.config.timeout)
        # A token from logging in is a secret nobody passed in: redact it too.
        for value in reached.credentials.values():
            self.secrets.add(value.removeprefix("Bearer "))
            self.secret_variables.setdefault(value.removeprefix("Bearer "), ENVIRONMENT["--token"])
        if self.target.kind == "live":
            for ledger in self.ledgers:
                ledger.note_active(self.session, self.target.base_url, self.config.writable_usernames)
        for requirement, reason in skips(self.plan, self.target.info):
            self.results.skip(requirement, reason)
        self.context = suite_context(self.plan, self.target, self.session, self.recorder)
        return self.context

    @property
    def why_no_writes(self) -> str | None:
        return why_no_writes(self.config.profile)

    def _on_exchange(self, exchange: Exchange) -> None:
        self.recorder.on_exchange(exchange)
        for ledger in self.ledgers:
            ledger.on_exchange(exchange)

    def cleanup(self) -> None:
        """Undo what this run changed on a live target (unless --keep), then disconnect: each
        API's ledger knows what its writes left behind."""
        if self.target is None or self.session is None:
            return
        if self.target.kind == "live" and not self.config.keep:
            # After Ctrl-C every ledger shares the one second, each given what is left of it.
            ends = time.monotonic() + CLEANUP_AFTER_CTRL_C if self.interrupted else None
            for ledger in self.ledgers:
                within = None if ends is None else ends - time.monotonic()
                self.cleanup_failures += ledger.close_opened(self.session, self.target.base_url, within)
        close(self.target, self.session)

    # --- facts: what this process learned, or (controller) what the workers learned ----------
    def facts(self) -> Facts:
        if self.target is None or self.session is None:
            return self._adopted or {}
        facts = target_facts(
            self.target,
            self.session,
            self.config,
            self.cut_short,
            self.cleanup_failures,
            self.recorder,
            self.results,
        )
        return {**facts, "network_before": self.network_before}

    def adopt(self, worker: Facts) -> None:
        """Fold a pytest-xdist worker's facts into this (controller) run."""
        self._adopted = fold(self._adopted, worker)
        for requirement, reason in worker["skipped"].items():
            self.results.skip(requirement, reason)

    @property
    def has_facts(self) -> bool:
        return self.target is not None or self._adopted is not None

    # --- results -------------------------------------------------------------------------------
    def results_document(self) -> dict[str, Any]:
        """The document; a run proven on the simulated network reads, at its end, what the
        network did not carry out meanwhile (after cleanup: the target has sent everything)."""
        facts, control = self.facts(), self.config.network_control
        before = facts.get("network_before")
        network = network_section(control, before, self.config.timeout) if control else None
        return results_document(self.plan, facts, self.results, self.clock, self.secrets, network)

    def write_reports(self) -> tuple[dict[str, Any], Path]:
        document = self.results_document()
        return document, write_reports(document, self.config.reports_dir, self.config.keep_reports)

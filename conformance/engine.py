"""One conformance run: the target, the guarded session, the verdicts and the reports.

The pytest plugin is only glue; everything a run owns lives here so that the CLI, the
benchmark and the plugin share one lifecycle: start (embedded server or live target,
preflight), hand checks a `SuiteContext`, finish (clean up, fold verdicts, write
`results.json` and its views).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from conformance import __version__
from conformance.checks.context import SuiteContext
from conformance.checks.shrinking import ShrinkBudget
from conformance.config import ENVIRONMENT, RunConfig
from conformance.reference.server import ReferenceOptions, ReferenceServer
from conformance.reporting.html import write_html
from conformance.reporting.junit import write_junit
from conformance.reporting.retention import prune_reports
from conformance.reporting.schema import validate_results
from conformance.requirements.catalogue import Requirement, load_catalogue
from conformance.requirements.operations import merged_spec_path, operation_requirements
from conformance.results.collector import CaseRecorder, RunResults
from conformance.results.exchange import Exchange
from conformance.specgen.markers import overlay_entries, overlay_statuses
from conformance.transport.auth import resolve_auth
from conformance.transport.curl import curl_command
from conformance.transport.diagnosis import json_body
from conformance.transport.policy import Profile, WritePolicy
from conformance.transport.preflight import TargetInfo, preflight
from conformance.transport.redaction import redact_exchange, redact_text
from conformance.transport.session import GuardedSession

EMBEDDED_ECHO_PEER = "echo-peer"
EMBEDDED_BLACKLISTED = "blacklisted-peer"

# Requirements that need writes; a read-only profile cannot check them.
WRITE_OPERATIONS = ("POST ", "PUT ", "DELETE ")


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Target:
    """Where the run sends requests, and what it learned about it before starting."""

    base_url: str  # ends with /api/v0
    kind: str  # "embedded" | "live"
    info: TargetInfo
    server: ReferenceServer | None = None


class ConformanceRun:
    def __init__(self, config: RunConfig) -> None:
        self.config = config
        merged = merged_spec_path(config.spec)
        self.merged_spec: dict[str, Any] | None = (
            json.loads(merged.read_text(encoding="utf-8")) if merged.is_file() else None
        )
        self.catalogue: dict[str, Requirement] = load_catalogue() | (
            operation_requirements(self.merged_spec) if self.merged_spec else {}
        )
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
        )
        self.results = RunResults(self.catalogue)
        self.started_at = utc_now()
        self._clock = time.perf_counter()
        self.spec: dict[str, Any] = json.loads(config.spec.read_text(encoding="utf-8"))
        self.target: Target | None = None
        self.session: GuardedSession | None = None
        self.context: SuiteContext | None = None
        self.opened_conversations: set[str] = set()
        self.late_notes: list[str] = []
        self.already_active: set[str] = set()
        self._adopted: dict[str, Any] = {}

    # --- lifecycle ------------------------------------------------------------------------
    def start(self) -> SuiteContext:
        """Start the embedded server or reach the live target; raises TargetError/ConfigError."""
        config = self.config
        server = None
        if config.target_url is None:
            server = ReferenceServer(
                ReferenceOptions(
                    behaviour=config.server_behaviour,
                    api_key=self._embedded_key,
                    echo_peers=(EMBEDDED_ECHO_PEER,),
                    blacklist=(EMBEDDED_BLACKLISTED,),
                    faults=frozenset(config.reference_faults),
                )
            ).start()
            root = server.url
        else:
            root = config.target_url
        policy = WritePolicy.for_target(config.profile, config.writable_usernames, root)
        self.session = GuardedSession(
            policy=policy,
            on_exchange=self._on_exchange,
            timeout=config.timeout,
            verify=config.verify,
            rate=config.rate,
            max_requests=config.max_requests,
            max_response_bytes=config.max_response_bytes,
        )
        if server:
            # Proxy settings do not apply on loopback; skipping the lookup saves ~20% per request.
            self.session.trust_env = False
        try:
            if self._embedded_key:
                self.session.headers["X-API-Key"] = self._embedded_key
            else:
                credentials = resolve_auth(self.session, root, config)
                self.session.headers.update(credentials)
                # A token from logging in is a secret nobody passed in: redact it too.
                for value in credentials.values():
                    self.secrets.add(value.removeprefix("Bearer "))
                    self.secret_variables.setdefault(value.removeprefix("Bearer "), ENVIRONMENT["--token"])
            info = preflight(self.session, root, config)
        except BaseException:
            self.session.close()
            if server:
                server.stop()
            raise
        self.target = Target(f"{root}/api/v0", "embedded" if server else "live", info, server)
        if not server:
            self.already_active = self._active_among(config.writable_usernames)
        self._skip_what_cannot_apply(info)
        self.context = SuiteContext(
            session=self.session,
            base_url=self.target.base_url,
            recorder=self.recorder,
            catalogue=self.catalogue,
            version=info.version,
            can_write=self.writes_possible,
            writable_users=None if config.profile is Profile.FULL else tuple(config.writable_usernames),
            echo_peers=(EMBEDDED_ECHO_PEER,) if server else tuple(config.echo_peers),
            blacklisted=(EMBEDDED_BLACKLISTED,) if server else tuple(config.blacklisted_peers),
            auth_enabled=bool(info.auth_enabled),
            readonly_api_key=config.readonly_api_key,
            overlay_statuses=overlay_statuses(self.spec),
            spec=self.spec,
            shrink_budget=ShrinkBudget(config.shrink_budget if config.shrink else 0.0),
            strict_docs=config.strict_docs,
        )
        return self.context

    @property
    def writes_possible(self) -> bool:
        """Writes are checked unless the profile forbids them or the target cannot send."""
        logged_out = self.target is not None and self.target.info.logged_in is False
        return self.config.profile is not Profile.READ_ONLY and not logged_out

    @property
    def why_no_writes(self) -> str:
        if self.config.profile is Profile.READ_ONLY:
            return "needs writes; the read-only profile sends only GETs"
        return (
            "needs writes; the target is not logged in to the Soulseek network, so sends answer 500 by design"
        )

    def _active_among(self, usernames: tuple[str, ...]) -> set[str]:
        """Peers whose conversation is active before the run: cleanup leaves those open."""
        assert self.target and self.session
        active = set()
        for username in usernames:
            response = self.session.get(
                f"{self.target.base_url}/conversations/{_quote(username)}",
                params={"includeMessages": "false"},
            )
            if response.status_code == 200 and (json_body(response) or {}).get("isActive"):
                active.add(username)
        return active

    def _on_exchange(self, exchange: Exchange) -> None:
        self.recorder.on_exchange(exchange)
        if exchange.method == "POST" and exchange.status is not None and exchange.status < 300:
            segments = urlsplit(exchange.url).path.split("/")
            if len(segments) >= 2 and segments[-2].lower() == "conversations":
                self.opened_conversations.add(unquote(segments[-1]))

    def _skip_what_cannot_apply(self, info: TargetInfo) -> None:
        """Requirements that cannot be checked here are 'skipped', with the reason shown."""
        for requirement in self.catalogue.values():
            if not requirement.applies_to(info.version):
                self.results.skip(
                    requirement.id,
                    f"applies to slskd {_version_range(requirement)}; the target runs {info.version}",
                )
            elif not self.writes_possible and all(
                op.startswith(WRITE_OPERATIONS) for op in requirement.operations
            ):
                self.results.skip(requirement.id, self.why_no_writes)
        if not info.auth_enabled:
            for requirement in ("AUTH-MISSING-401", "AUTH-WRONG-KEY-401", "AUTH-READONLY-KEY-WRITES"):
                self.results.skip(requirement, "the target has authentication disabled")
        if not self.config.readonly_api_key:
            self.results.skip("AUTH-READONLY-KEY-WRITES", "no --readonly-api-key given")

    def cleanup(self) -> None:
        """Close the conversations this run opened on a live target, unless --keep."""
        if self.target is None or self.session is None:
            return
        if self.target.kind == "live" and not self.config.keep:
            for username in sorted(self.opened_conversations - self.already_active):
                try:
                    self.session.delete(f"{self.target.base_url}/conversations/{_quote(username)}")
                except Exception as error:  # cleanup must never hide the run's own outcome
                    self.late_notes.append(f"could not close the conversation with {username!r}: {error}")
        self.session.close()
        if self.target.server:
            self.target.server.stop()

    # --- what the run learned about its target (shipped from xdist workers) ---------------
    def facts(self) -> dict[str, Any]:
        """Target facts and counters; under pytest-xdist each worker sends its own."""
        if self.target is None:
            return self._adopted
        info = self.target.info
        return {
            "url": self.target.base_url,
            "kind": self.target.kind,
            "version": info.version,
            "version_source": info.version_source,
            # info.notes lead with the configuration's own (preflight puts them there)
            "notes": [*info.notes, *self._redirect_notes(), *self.late_notes],
            "requests": self.recorder.requests,
            "cases": self.recorder.cases,
            "skipped": dict(self.results.skipped),
        }

    def _redirect_notes(self) -> list[str]:
        """Redirects the session answered but did not follow, said once with the first example."""
        unfollowed = self.session.unfollowed_redirects if self.session else []
        if not unfollowed:
            return []
        return [f"{len(unfollowed)} redirect(s) not followed, e.g. {unfollowed[0]}"]

    def adopt(self, facts: dict[str, Any]) -> None:
        """Fold a worker's facts into this (controller) run."""
        if not self._adopted:
            self._adopted = {**facts, "requests": 0, "cases": 0, "notes": []}
        self._adopted["requests"] += facts["requests"]
        self._adopted["cases"] += facts["cases"]
        self._adopted["notes"] = list(dict.fromkeys([*self._adopted["notes"], *facts["notes"]]))
        for requirement, reason in facts["skipped"].items():
            self.results.skip(requirement, reason)

    @property
    def has_facts(self) -> bool:
        return self.target is not None or bool(self._adopted)

    # --- results --------------------------------------------------------------------------
    def results_document(self) -> dict[str, Any]:
        config = self.config
        facts = self.facts()
        document = {
            "schema_version": "1.0",
            "tool": {"name": "slskd-conformance", "version": __version__},
            "run": {
                "id": self.run_id,
                "started_at": self.started_at,
                "finished_at": utc_now(),
                "duration_s": round(time.perf_counter() - self._clock, 3),
                "seed": config.seed,
                "max_examples": config.max_examples,
                "profile": config.profile.value,
                "target": {
                    "url": facts["url"],
                    "kind": facts["kind"],
                    "behaviour": config.server_behaviour if config.target_url is None else None,
                    "fault": ",".join(config.reference_faults) or None,
                },
                "server_version": facts["version"],
                "version_source": facts["version_source"],
                "spec": {
                    "path": str(config.spec),
                    "sha256": hashlib.sha256(config.spec.read_bytes()).hexdigest(),
                },
                "strict_docs": config.strict_docs,
                "auth": config.auth_kind if config.target_url else "api-key",
                "notes": facts["notes"],
                "requests": facts["requests"],
                "cases": facts["cases"],
            },
            "summary": self.results.summary(config.strict_docs),
            "requirements": self.results.requirement_rows(),
            "overlay": overlay_entries(self.spec),
        }
        # Belt and braces: evidence was redacted at capture; notes and URLs are scrubbed here.
        return json.loads(redact_text(json.dumps(document), self.secrets))

    @property
    def run_id(self) -> str:
        stamp = self.started_at.replace("-", "").replace(":", "")
        return f"{stamp}-{self.config.seed}"

    def write_reports(self) -> tuple[dict[str, Any], Path]:
        document = self.results_document()
        validate_results(document)
        directory = self.config.reports_dir / document["run"]["id"]
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "results.json").write_text(json.dumps(document, indent=2), encoding="utf-8")
        write_junit(document, directory / "junit.xml")
        write_html(document, directory / "index.html")
        latest = self.config.reports_dir / "latest"
        if latest.exists():
            shutil.rmtree(latest)
        shutil.copytree(directory, latest)
        prune_reports(self.config.reports_dir, self.config.keep_reports)
        return document, directory


def _version_range(requirement: Requirement) -> str:
    low = f"≥ {requirement.since}" if requirement.since else ""
    high = f"< {requirement.until}" if requirement.until else ""
    return " and ".join(part for part in (low, high) if part)


def _quote(segment: str) -> str:
    return quote(segment, safe="")

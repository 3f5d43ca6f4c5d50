"""Step 5: `results.json`, the source of truth every report is a view of.

The document is redacted once more as a whole: evidence was redacted at capture, and this
catches secrets in notes and URLs too.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from conformance import __version__
from conformance.results.collector import RunResults
from conformance.run.facts import Facts
from conformance.run.plan import Plan
from conformance.specgen.markers import overlay_entries
from conformance.transport.redaction import redact_text

SCHEMA_VERSION = "1.0"


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Clock:
    """When the run started, as shown (UTC, seconds) and as measured (monotonic)."""

    started_at: str = field(default_factory=utc_now)
    counter: float = field(default_factory=time.perf_counter)

    def run_id(self, seed: int) -> str:
        stamp = self.started_at.replace("-", "").replace(":", "")
        return f"{stamp}-{seed}"


def results_document(
    plan: Plan,
    facts: Facts,
    results: RunResults,
    clock: Clock,
    secrets: set[str],
    network: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """`network`: what the simulated network the run was proven on did not carry out (`run.network`)."""
    config = plan.config
    document = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "slskd-conformance", "version": __version__},
        "run": {
            "id": clock.run_id(config.seed),
            "started_at": clock.started_at,
            "finished_at": utc_now(),
            "duration_s": round(time.perf_counter() - clock.counter, 3),
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
            "authentication": facts["authentication"],
            "notes": facts["notes"],
            "cleanup": facts["cleanup"],
            "requests": facts["requests"],
            "cases": facts["cases"],
            **({"network": network} if network is not None else {}),
        },
        "summary": results.summary(config.strict_docs, facts["cut_short"]),
        "requirements": results.requirement_rows(),
        "overlay": overlay_entries(plan.spec),
    }
    return json.loads(redact_text(json.dumps(document), secrets))

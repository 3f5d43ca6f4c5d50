"""The run's options on pytest's command line, and the `RunConfig` they make.

`conformance.cli.config` validates option values without knowing where they came from; this
module is the pytest side: registering the options and reading them back.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import pytest

from conformance.apis import consents as peer_write_consents
from conformance.checks.shrinking import DEFAULT_SHRINK_BUDGET
from conformance.cli.config import (
    LIVE_MAX_REQUESTS,
    NOT_FROM_ENVIRONMENT,
    RunConfig,
    environment_variable,
    from_options,
)
from conformance.reporting.retention import DEFAULT_KEEP_REPORTS
from conformance.transport.bounded import DEFAULT_MAX_RESPONSE_BYTES


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("slskd-conformance", "slskd conformance: target, safety and run options")

    def add(name: str, help: str, **kwargs: Any) -> None:
        if kwargs.get("action") != "store_true":  # else pytest shows the dest, which reads like a variable
            kwargs.setdefault("metavar", name.rsplit("-", 1)[-1].upper())
        if name not in NOT_FROM_ENVIRONMENT:
            help = f"{help} [env {environment_variable(name)}]"
        group.addoption(name, dest=dest(name), help=help, **kwargs)

    add("--target-url", "base URL of a live slskd, e.g. http://localhost:5030 (default: the embedded server)")
    add("--api-key", "slskd API key, sent as X-API-Key (prefer the SLSKD_API_KEY environment variable)")
    add("--token", "a JWT, sent as Authorization: Bearer (prefer SLSKD_TOKEN)")
    add("--username", "log in with this user via POST /api/v0/session (or SLSKD_USERNAME)")
    add("--password", "password for --username (prefer SLSKD_PASSWORD)")
    add("--readonly-api-key", "a second, read-only API key for the auth checks (or SLSKD_READONLY_API_KEY)")
    add(
        "--profile",
        "read-only | safe-writes | full (default: full for the embedded server or with --network-control, "
        "read-only for --target-url)",
    )
    add(
        "--i-understand-this-messages-real-users",
        "allow --profile full against a live target: it sends messages to generated usernames",
        action="store_true",
    )
    add(
        "--network-control",
        "control API URL of the `conformance network` the target is logged in to; proven before any "
        "write, it allows --profile full on a live target and makes it the default",
        metavar="URL",
    )
    for consent in peer_write_consents():
        add(
            f"--allow-{consent}",
            f"allow {consent} on a live target not proven on the simulated network: they reach real "
            "Soulseek users (the embedded server and --network-control need no consent)",
            action="store_true",
        )
    add("--peer", "a username the run may write to (safe-writes allowlist); repeatable", action="append")
    add(
        "--echo-peer",
        "an allowlisted peer that replies to messages; repeatable (default with --network-control and "
        "the full profile: the echo peers of that network)",
        action="append",
    )
    add("--blacklisted-peer", "an allowlisted peer the target has blacklisted; repeatable", action="append")
    add(
        "--rate",
        "request pace like 5/s or 300/m, or 'none' (default: 5/s for a live target, unpaced embedded "
        "or once --network-control has proven the target is on the simulated network)",
    )
    add("--max-requests", f"stop after N requests (default: {LIVE_MAX_REQUESTS} live, unlimited embedded)")
    add("--timeout", "seconds for each request, its whole answer included (default: 10)")
    add(
        "--max-response-bytes",
        f"larger answers are a finding, not read further (default: {DEFAULT_MAX_RESPONSE_BYTES:,})",
    )
    add("--insecure", "do not verify the target's TLS certificate", action="store_true")
    add("--ca-bundle", "PEM file (or directory) of certificates to trust for the target")
    add("--keep", "do not close the conversations the run opened", action="store_true")
    add(
        "--max-examples",
        "generated examples per test (default: 25); the state machine runs 3 in 5 of them, at least 10",
    )
    add("--seed", "seed that makes the generated cases reproducible (default: 0)")
    add(
        "--no-shrink",
        "report failures as found, without shrinking them to a minimal request sequence (faster)",
        action="store_true",
    )
    add(
        "--shrink-budget",
        "seconds to spend shrinking failures to minimal request sequences, after every defect is found "
        f"(default: {DEFAULT_SHRINK_BUDGET:g})",
        metavar="SECONDS",
    )
    add("--strict-docs", "count documentation gaps (INFO) as failures", action="store_true")
    add("--reports-dir", "where reports are written (default: reports)")
    add(
        "--keep-reports",
        f"keep the newest N run folders in the reports folder, 0 for all (default: {DEFAULT_KEEP_REPORTS})",
        metavar="N",
    )
    add("--server-behaviour", "embedded server only: documented | slskd | intended (default: documented)")
    add("--reference-fault", "embedded server only: switch on a seeded fault; repeatable", action="append")
    add("--reference-variant", "embedded server only: a representation variant; repeatable", action="append")
    add(
        "--reference-not-logged-in",
        "embedded server only: not logged in to Soulseek, as a CI slskd with no account (sends answer 500)",
        action="store_true",
    )
    add("--server-version", "the target's slskd version X.Y.Z, instead of asking it")
    add(
        "--spec",
        "OpenAPI file to test against (default: the committed specs/slskd-conversations.openapi.json)",
    )


def dest(option: str) -> str:
    """Where pytest keeps `--option`: prefixed, so no other plugin's option can clash."""
    return "slskd_" + option.lstrip("-").replace("-", "_")


def run_config(pytestconfig: pytest.Config, environ: Mapping[str, str] | None = None) -> RunConfig:
    """The validated `RunConfig` of this pytest command line (raises `ConfigError`)."""
    return from_options(
        lambda name: pytestconfig.getoption(dest(name)), os.environ if environ is None else environ
    )

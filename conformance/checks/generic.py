"""Schemathesis' generic checks, each failure mapped onto a requirement of the catalogue.

Schemathesis knows what a valid response looks like for one call; it does not know slskd.
This module decides which of its checks we run (and which we replace), builds the schema
for the run's profile, and turns its failure codes (ST101 …) into requirement verdicts,
next to the per-response checks of `conformance.checks.responses`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import requests
import schemathesis
from schemathesis import checks as st_checks
from schemathesis.core.failures import Failure, FailureGroup

from conformance.apis import failure_requirements, refused
from conformance.checks.context import SuiteContext, request_line
from conformance.checks.failures import failure_for
from conformance.checks.responses import check_response
from conformance.requirements.ids import Req
from conformance.requirements.registry import check
from conformance.transport.policy import Profile

# What we ask Schemathesis to check on every generated case. Left out on purpose:
# - use_after_free / ensure_resource_availability: generic link inference cannot know that
#   slskd's DELETE closes instead of deleting (a verified false positive); replaced by the
#   model's CONV-CLOSED-READABLE and CONV-CLOSE-* requirements.
# - ignored_auth: its probes are sent outside the run's session; AUTH-* probes of our own
#   go through the write guard instead.
# - unsupported_method / allow_header_conformance / missing_required_header: they ride on
#   the coverage phase's unexpected-method probes, which we switch off (live safety; 405 is
#   not verified on real slskd).
CHECKS = [
    st_checks.not_a_server_error,
    st_checks.status_code_conformance,
    st_checks.content_type_conformance,
    st_checks.response_schema_conformance,
    st_checks.negative_data_rejection,
    st_checks.positive_data_acceptance,
]

# Schemathesis failure code → requirement, where the operation does not change it.
CODE_REQUIREMENTS = {
    "ST101": Req.API_NO_SERVER_ERROR,
    "ST102": Req.API_NO_SERVER_ERROR,
    "ST103": Req.API_STATUS_DOCUMENTED,
    "ST104": Req.API_CONTENT_TYPE,
    "ST105": Req.API_CONTENT_TYPE,
    "ST106": Req.API_CONTENT_TYPE,
    "ST107": Req.API_RESPONSE_SCHEMA,
    "ST108": Req.API_RESPONSE_SCHEMA,
    "ST109": Req.API_RESPONSE_SCHEMA,
    "ST110": Req.API_RESPONSE_SCHEMA,
    "ST111": Req.API_RESPONSE_SCHEMA,
    "ST201": Req.DOCGAP_LENIENT_BINDING,  # schema-violating input accepted
    "ST202": Req.API_STATUS_DOCUMENTED,  # schema-valid input rejected
}


def requirement_for(failure: Failure, label: str) -> str:
    """The requirement a Schemathesis failure breaks on the operation `label`: the API's own
    where it declares one for that operation (`Api.failures`), else the generic one."""
    generic = CODE_REQUIREMENTS.get(failure.code, Req.API_STATUS_DOCUMENTED)
    return failure_requirements().get((label, failure.code), generic)


def build_schema(spec: Path, profile: Profile, writable_users: tuple[str, ...] | None, seed: int) -> Any:
    """The Schemathesis schema for this profile, built hermetically (no schemathesis.toml lookup);
    `seed` selects the generated cases (Schemathesis mixes it with each operation's label)."""
    raw = json.loads(spec.read_text(encoding="utf-8"))
    operations: list[dict[str, Any]] = []
    if profile is Profile.SAFE_WRITES and writable_users:
        _pin_write_usernames(raw, writable_users)
        # Negative usernames would be outside the allowlist: writes are generated positive only.
        operations = [
            {"include-method": method, "generation": {"mode": "positive"}}
            for method in ("POST", "PUT", "DELETE")
        ]
    config = schemathesis.Config.from_dict(
        {
            "phases": {"coverage": {"unexpected-methods": []}},
            # Credentials come from the session: generated (wrong) ones would only earn 401s.
            "generation": {"database": "none", "with-security-parameters": False},
            "operations": operations,
            "seed": seed,
        }
    )
    schema = schemathesis.openapi.from_dict(raw, config=config)
    if profile is Profile.READ_ONLY:
        return schema.include(method="GET")
    return schema


def _pin_write_usernames(raw: dict[str, Any], usernames: tuple[str, ...]) -> None:
    for item in raw["paths"].values():
        for method, operation in item.items():
            if method.upper() in ("POST", "PUT", "DELETE"):
                for parameter in [*item.get("parameters", []), *operation.get("parameters", [])]:
                    if parameter.get("in") == "path" and parameter["name"] == "username":
                        parameter["schema"] = {"type": "string", "enum": list(usernames)}


def failures_of(case: Any, response: requests.Response, checks: list[Any]) -> list[Failure]:
    """What Schemathesis' `checks` find wrong with one response (empty: nothing)."""
    try:
        case.validate_response(response, checks=checks)
    except FailureGroup as group:
        return [f for f in group.exceptions if isinstance(f, Failure)]
    except Failure as failure:
        return [failure]
    return []


SCHEMATHESIS_REQUIREMENTS = (
    Req.API_NO_SERVER_ERROR,
    Req.API_STATUS_DOCUMENTED,
    Req.API_CONTENT_TYPE,
    Req.API_RESPONSE_SCHEMA,
)


@check(
    *SCHEMATHESIS_REQUIREMENTS,
    *CODE_REQUIREMENTS.values(),
    *failure_requirements().values(),
    kind="schemathesis",
)
def check_case(ctx: SuiteContext, case: Any, response: requests.Response) -> None:
    """Validate one generated case's response and record a verdict per requirement touched."""
    label = case.operation.label
    failures = [f for f in failures_of(case, response, CHECKS) if not refused(case, response, f)]
    broken: dict[str, str] = {}
    answered = f"{request_line(response)} answered {response.status_code}"
    for failure in failures:
        detail = f": {' '.join(failure.message.split())}" if failure.message else ""
        broken.setdefault(
            requirement_for(failure, label), f"{answered}: {failure.code} {failure.title}{detail}"
        )
    for requirement in SCHEMATHESIS_REQUIREMENTS:
        if requirement not in broken:
            ctx.judge.verdict(requirement, True, check="schemathesis")
    defects = [
        r for r, message in broken.items() if ctx.judge.verdict(r, False, message, check="schemathesis")
    ]
    defects += check_response(ctx, label, response)
    if defects:
        first, *_ = broken_ids = sorted(set(defects))
        raise failure_for(first)(f"{label}: {', '.join(broken_ids)} broken")

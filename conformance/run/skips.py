"""Step 3: which requirements this target cannot be checked for, each with the reason shown.

A requirement is skipped when its read is not sent to a live target (see `plan`), when the
target's version is outside its range, when it needs
writes the run cannot make (read-only profile, or a target not logged in to Soulseek, where
every send answers 500 by design), or when it needs authentication the target or the
command line does not offer.
"""

from __future__ import annotations

from collections.abc import Iterator

from conformance.requirements.catalogue import Requirement
from conformance.run.plan import Plan
from conformance.transport.policy import Profile
from conformance.transport.preflight import TargetInfo

WRITE_OPERATIONS = ("POST ", "PUT ", "DELETE ")
AUTH_REQUIREMENTS = ("AUTH-MISSING-401", "AUTH-WRONG-KEY-401", "AUTH-READONLY-KEY-WRITES")
READONLY_KEY_REQUIREMENT = "AUTH-READONLY-KEY-WRITES"


def why_no_writes(profile: Profile, info: TargetInfo | None) -> str | None:
    """None when writes are checked; otherwise why not (the profile, or a target that cannot send)."""
    if profile is Profile.READ_ONLY:
        return "needs writes; the read-only profile sends only GETs"
    if info is not None and info.logged_in is False:
        return (
            "needs writes; the target is not logged in to the Soulseek network, so sends answer 500 by design"
        )
    return None


def skips(plan: Plan, info: TargetInfo) -> Iterator[tuple[str, str]]:
    """(requirement id, reason) pairs; the first reason given for a requirement is the one shown."""
    config = plan.config
    yield from plan.unsent_reads.items()
    no_writes = why_no_writes(config.profile, info)
    for requirement in plan.catalogue.values():
        if not requirement.applies_to(info.version):
            yield (
                requirement.id,
                f"applies to slskd {_version_range(requirement)}; the target runs {info.version}",
            )
        elif no_writes and all(op.startswith(WRITE_OPERATIONS) for op in requirement.operations):
            yield requirement.id, no_writes
    if not info.auth_enabled:
        for requirement_id in AUTH_REQUIREMENTS:
            yield requirement_id, "the target has authentication disabled"
    if not config.readonly_api_key:
        yield READONLY_KEY_REQUIREMENT, "no --readonly-api-key given"


def _version_range(requirement: Requirement) -> str:
    low = f"≥ {requirement.since}" if requirement.since else ""
    high = f"< {requirement.until}" if requirement.until else ""
    return " and ".join(part for part in (low, high) if part)

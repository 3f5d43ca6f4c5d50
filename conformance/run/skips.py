"""Step 3: which requirements this target cannot be checked for, each with the reason shown.

A requirement is skipped when its read is not sent to a live target (see `plan`), when the
target's version is outside its range, when it needs writes the read-only profile does not
make, when it needs more than the target offers (its catalogue `needs`: a target not logged
in to Soulseek answers every send 500 by design, so it shows no stored or incoming message,
though what a failed write creates is still there), or when it needs authentication that is not on
(`auth_state`: off, or unknown) or credentials the command line does not give.
"""

from __future__ import annotations

from collections.abc import Iterator

from conformance.apis import installed
from conformance.requirements.catalogue import Need, Requirement
from conformance.run.plan import Plan
from conformance.transport.policy import Profile
from conformance.transport.preflight import TargetInfo

WRITE_OPERATIONS = ("POST ", "PUT ", "DELETE ")
AUTH_REQUIREMENTS = ("AUTH-MISSING-401", "AUTH-WRONG-KEY-401", "AUTH-READONLY-KEY-WRITES")
READONLY_KEY_REQUIREMENT = "AUTH-READONLY-KEY-WRITES"


def why_no_writes(profile: Profile) -> str | None:
    """None when writes are checked; otherwise why not (the read-only profile).

    A target not logged in is still written to: what it cannot show is `offered`'s business."""
    if profile is Profile.READ_ONLY:
        return "needs writes; the read-only profile sends only GETs"
    return None


def offered(profile: Profile, info: TargetInfo | None) -> Need:
    """What the run's writes can make the target show: not logged in, what a write creates even
    when it fails, but no stored or incoming message. A read-only run makes nothing, so what
    is already stored is judged as it is, logged in or not."""
    writes = why_no_writes(profile) is None
    return Need.CREATED if writes and info is not None and info.logged_in is False else Need.INCOMING


def skips(plan: Plan, info: TargetInfo) -> Iterator[tuple[str, str]]:
    """(requirement id, reason) pairs; the first reason given for a requirement is the one shown."""
    config = plan.config
    yield from plan.unsent_reads.items()
    no_writes = why_no_writes(config.profile)
    offers = offered(config.profile, info)
    consented = config.consented(embedded=config.target_url is None)
    for requirement in plan.catalogue.values():
        if not requirement.applies_to(info.version):
            yield (
                requirement.id,
                f"applies to slskd {_version_range(requirement)}; the target runs {info.version}",
            )
        elif no_writes and all(op.startswith(WRITE_OPERATIONS) for op in requirement.operations):
            yield requirement.id, no_writes
        elif missing := offers.missing(requirement.needs):
            yield requirement.id, missing
        elif unconsented := _unconsented(requirement, consented):
            yield requirement.id, unconsented
    if not info.authentication.checked:
        for requirement_id in AUTH_REQUIREMENTS:
            yield requirement_id, info.authentication.skip_reason()
    if not config.readonly_api_key:
        yield READONLY_KEY_REQUIREMENT, "no --readonly-api-key given"


def _unconsented(requirement: Requirement, consented: tuple[str, ...]) -> str | None:
    """Why a requirement cannot be shown without a consent the run lacks: every operation it
    names is a write that reaches real people (one shared with other operations is shown by
    them), or it belongs to an API whose state only such writes create."""
    for api in installed():
        for write in api.peer_writes:
            if write.consent in consented:
                continue
            only_it = bool(requirement.operations) and all(
                method in write.methods and path.strip("/").split("/")[0].lower() == write.collection
                for method, _, path in (op.partition(" ") for op in requirement.operations)
            )
            if only_it or (requirement.tag == api.name and requirement.needs is not Need.NOTHING):
                return (
                    f"needs {', '.join(write.methods)} /{write.collection}, which reaches real Soulseek "
                    "users: "
                    f"give --allow-{write.consent}, or run on the simulated network (--network-control)"
                )
    return None


def _version_range(requirement: Requirement) -> str:
    low = f"≥ {requirement.since}" if requirement.since else ""
    high = f"< {requirement.until}" if requirement.until else ""
    return " and ".join(part for part in (low, high) if part)

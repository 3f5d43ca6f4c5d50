"""Step 4: the `SuiteContext` the checks receive: the session, the target and what it allows."""

from __future__ import annotations

from conformance.checks.context import AT_ONCE, REPLY_POLLS, SuiteContext
from conformance.checks.shrinking import ShrinkBudget
from conformance.cli.config import RunConfig
from conformance.results.collector import CaseRecorder
from conformance.run.network_view import network_handle
from conformance.run.plan import Plan
from conformance.run.skips import offered, why_no_writes
from conformance.run.target import EMBEDDED_BLACKLISTED, EMBEDDED_ECHO_PEER, Target
from conformance.specgen.markers import overlay_statuses
from conformance.transport.policy import Profile
from conformance.transport.session import GuardedSession


def suite_context(
    plan: Plan, target: Target, session: GuardedSession, recorder: CaseRecorder
) -> SuiteContext:
    config: RunConfig = plan.config
    embedded = target.server is not None
    return SuiteContext(
        session=session,
        base_url=target.base_url,
        recorder=recorder,
        catalogue=plan.catalogue,
        version=target.info.version,
        can_write=why_no_writes(config.profile) is None,
        offers=offered(config.profile, target.info),
        writable_users=None if config.profile is Profile.FULL else tuple(config.writable_usernames),
        echo_peers=(EMBEDDED_ECHO_PEER,) if embedded else _echo_peers(config, target),
        blacklisted=(EMBEDDED_BLACKLISTED,) if embedded else tuple(config.blacklisted_peers),
        auth_enabled=target.info.auth_enabled,
        readonly_api_key=config.readonly_api_key,
        overlay_statuses=overlay_statuses(plan.spec),
        spec=plan.spec,
        shrink_budget=ShrinkBudget(config.shrink_budget if config.shrink else 0.0),
        strict_docs=config.strict_docs,
        max_examples=config.max_examples,
        reply_polls=AT_ONCE if embedded else REPLY_POLLS,  # its echo peer answers before the 201
        network=network_handle(
            target.server.app.network if target.server else None, config.network_control, config.timeout
        ),
        consented=config.consented(embedded=embedded),
    )


def _echo_peers(config: RunConfig, target: Target) -> tuple[str, ...]:
    """--echo-peer, else (full profile only: any username may be written to) the echo peers of
    the simulated network the target is proven on, so that no flag has to repeat them."""
    if config.echo_peers or config.profile is not Profile.FULL:
        return tuple(config.echo_peers)
    return target.info.network_echo_peers

"""The guarded session of a run, built from the run's safety options.

Every request of the run (preflight, checks, cleanup) goes through this one session, so the
write guard, pacing, budget, timeout and TLS settings chosen on the command line hold for all.
"""

from __future__ import annotations

from collections.abc import Callable

from conformance.apis import peer_writes, write_shapes
from conformance.cli.config import RunConfig
from conformance.transport.policy import WritePolicy
from conformance.transport.session import ExchangeSink, GuardedSession


def open_session(
    config: RunConfig,
    root: str,
    on_exchange: ExchangeSink,
    *,
    embedded: bool,
    interrupted: Callable[[], bool],
) -> GuardedSession:
    """`interrupted`: whether Ctrl-C was pressed (the session then sends nothing but cleanup)."""
    policy = WritePolicy.for_target(
        config.profile,
        config.writable_usernames,
        root,
        write_shapes(),
        peer_writes(),
        config.consented(embedded=embedded),
    )
    session = GuardedSession(
        policy=policy,
        on_exchange=on_exchange,
        timeout=config.timeout,
        verify=config.verify,
        rate=config.rate,
        max_requests=config.max_requests,
        cleanup_reserve=config.cleanup_reserve,
        interrupted=interrupted,
        max_response_bytes=config.max_response_bytes,
    )
    if embedded:  # on loopback
        # Proxy settings do not apply on loopback; skipping the lookup saves ~20% per request.
        session.trust_env = False
    return session

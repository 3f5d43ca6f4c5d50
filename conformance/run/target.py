"""Step 2: the target, reached: the embedded server or a live slskd, authenticated and preflighted.

Hands on a `Target` (where requests go and what preflight learned), the guarded session
every request goes through, and the credentials the session sends (the caller redacts them:
a token from logging in is a secret nobody passed in).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from conformance.apis import preflight_reads
from conformance.cli.config import RunConfig
from conformance.reference.server import ReferenceOptions, ReferenceServer
from conformance.run.session import open_session
from conformance.transport.auth import resolve_auth
from conformance.transport.preflight import TargetInfo, preflight
from conformance.transport.session import ExchangeSink, GuardedSession

EMBEDDED_ECHO_PEER = "echo-peer"
EMBEDDED_BLACKLISTED = "blacklisted-peer"


@dataclass
class Target:
    """Where the run sends requests, and what it learned about it before starting."""

    base_url: str  # ends with /api/v0
    kind: str  # "embedded" | "live"
    info: TargetInfo
    server: ReferenceServer | None = None


@dataclass
class Reached:
    target: Target
    session: GuardedSession
    credentials: dict[str, str]  # the headers the session authenticates with


def reach(
    config: RunConfig,
    embedded_key: str | None,
    on_exchange: ExchangeSink,
    interrupted: Callable[[], bool],
) -> Reached:
    """Start the embedded server (with `embedded_key`) or reach the live target.

    Raises `TargetError`/`ConfigError` with one readable line; nothing is left running then.
    """
    server = _start_embedded(config, embedded_key) if config.target_url is None else None
    root = server.url if server else str(config.target_url)
    session = open_session(config, root, on_exchange, embedded=server is not None, interrupted=interrupted)
    try:
        if server:
            credentials = {"X-API-Key": str(embedded_key)}
        else:
            credentials = resolve_auth(session, root, config.credentials)
        session.headers.update(credentials)
        info = preflight(
            session,
            root,
            server_version=config.server_version,
            login_username=config.username,
            network_control=config.network_control,
            api_reads=preflight_reads(),
        )
        if config.unpaced_once_proven:  # preflight returned: the target is on the simulated network
            session.unpace()
            info.notes.append("unpaced: the target is proven on the simulated network (--rate paces it)")
    except BaseException:
        session.close()
        if server:
            server.stop()
        raise
    target = Target(f"{root}/api/v0", "embedded" if server else "live", info, server)
    return Reached(target, session, credentials)


def _start_embedded(config: RunConfig, api_key: str | None) -> ReferenceServer:
    return ReferenceServer(
        ReferenceOptions(
            behaviour=config.server_behaviour,
            api_key=api_key,
            echo_peers=(EMBEDDED_ECHO_PEER,),
            blacklist=(EMBEDDED_BLACKLISTED,),
            faults=frozenset(config.reference_faults),
            variants=frozenset(config.reference_variants),
            logged_in=config.reference_logged_in,
        )
    ).start()


def close(target: Target, session: GuardedSession) -> None:
    session.close()
    if target.server:
        target.server.stop()

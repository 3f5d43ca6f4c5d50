"""Safety by proof: with --network-control, a run may write to a live slskd only once it has
proven that the target's Soulseek user is logged in to that simulated network; otherwise it
ends with one line and exit 3, having sent nothing but GETs."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from conformance.apis import preflight_reads
from conformance.cli.config import LIVE_RATE, RunConfig
from conformance.errors import ExitCode, TargetError
from conformance.network.control import ControlServer
from conformance.network.server import NetworkServer
from conformance.network.state import PeerKind
from conformance.reference import ReferenceOptions, ReferenceServer
from conformance.run import target
from conformance.transport.policy import Profile, WritePolicy
from conformance.transport.preflight import TargetInfo, preflight
from conformance.transport.session import GuardedSession
from tests.network_client import eventually

USERNAME = "slskd-under-test"


@pytest.fixture
def network() -> Iterator[tuple[NetworkServer, str]]:
    with NetworkServer({"echo-peer": PeerKind.ECHO}) as server, ControlServer(server) as control:
        yield server, control.url


def on_network(network: NetworkServer) -> ReferenceServer:
    options = ReferenceOptions(soulseek=("127.0.0.1", network.port), soulseek_username=USERNAME)
    return ReferenceServer(options)


def reach(root: str, control_url: str) -> TargetInfo:
    with GuardedSession(WritePolicy(Profile.READ_ONLY, ()), timeout=5) as session:
        # a read-only session: preflight must need no write
        return preflight(session, root, network_control=control_url, api_reads=preflight_reads())


def refusal(root: str, control_url: str) -> str:
    with pytest.raises(TargetError) as raised:
        reach(root, control_url)
    assert raised.value.exit_code is ExitCode.TARGET_UNUSABLE and "\n" not in str(raised.value)
    return str(raised.value)


def test_a_target_logged_in_to_the_network_is_proven_and_the_proof_is_noted(
    network: tuple[NetworkServer, str],
) -> None:
    server, control = network
    with on_network(server) as slskd:
        info = reach(slskd.url, control)
    (note,) = [n for n in info.notes if n.startswith("writes are safe")]
    assert f"{USERNAME!r} is logged in to the simulated network at {control}" in note


def seconds_for_ten_reads(root: str, control_url: str, *, unpaced_once_proven: bool) -> float:
    """Reaches the target as a run does (paced at the live default), then times ten GETs."""
    config = RunConfig(
        target_url=root,
        profile=Profile.FULL,
        rate=LIVE_RATE,
        network_control=control_url,
        unpaced_once_proven=unpaced_once_proven,
    )
    reached = target.reach(config, None, lambda *_: None, lambda: False)
    try:
        started = time.monotonic()
        for _ in range(10):
            reached.session.get(f"{reached.target.base_url}/server")
        return time.monotonic() - started
    finally:
        target.close(reached.target, reached.session)


def test_a_proven_target_runs_unpaced_unless_a_rate_was_given(network: tuple[NetworkServer, str]) -> None:
    server, control = network
    paced_interval = LIVE_RATE.interval
    with on_network(server) as slskd:
        assert seconds_for_ten_reads(slskd.url, control, unpaced_once_proven=True) < 5 * paced_interval
        assert seconds_for_ten_reads(slskd.url, control, unpaced_once_proven=False) >= 9 * paced_interval


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({}, "'slskd-reference' is not logged in to the network"),  # on the in-process network
        ({"logged_in": False}, "reports no logged-in Soulseek user"),
    ],
    ids=["elsewhere", "not-logged-in"],
)
def test_a_target_not_on_the_network_is_refused(
    network: tuple[NetworkServer, str], options: dict[str, Any], says: str
) -> None:
    _, control = network
    with ReferenceServer(ReferenceOptions(**options)) as slskd:
        assert says in refusal(slskd.url, control)


def _says_logged_in(root: str) -> bool:
    return requests.get(f"{root}/api/v0/server", timeout=5).json().get("isLoggedIn") is True


def test_a_target_kicked_off_the_network_is_refused_whether_or_not_it_noticed_yet(
    network: tuple[NetworkServer, str],
) -> None:
    """The network's word decides: refused while the target still believes it is logged in,
    and refused once it knows it is not."""
    server, control = network
    with on_network(server) as slskd:
        server.call(server.network.kick, USERNAME)
        at_once = refusal(slskd.url, control)  # the target may not have noticed the kick yet
        noticed = "reports no logged-in Soulseek user"
        unnoticed = f"{USERNAME!r} is not logged in to the network"
        assert noticed in at_once or unnoticed in at_once, at_once
        eventually(lambda: not _says_logged_in(slskd.url), "the target noticing the kick")
        assert noticed in refusal(slskd.url, control)


def test_an_unreachable_control_api_is_one_line(network: tuple[NetworkServer, str]) -> None:
    server, _ = network
    with on_network(server) as slskd:
        says = refusal(slskd.url, f"http://127.0.0.1:{server.port}")  # the protocol port: not HTTP
    assert "cannot reach the network control API" in says


def test_an_unproven_run_ends_with_exit_3_and_sends_no_write(
    network: tuple[NetworkServer, str], tmp_path: Path
) -> None:
    _, control = network
    with ReferenceServer() as slskd:
        completed = subprocess.run(
            [
                sys.executable,
                "-m",
                "conformance.cli",
                "run",
                "--target-url",
                slskd.url,
                "--profile",
                "full",
                "--network-control",
                control,
                "--reports-dir",
                str(tmp_path),
                "-p",
                "no:cacheprovider",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert slskd.app is not None and slskd.app.store.conversations() == []
    assert completed.returncode == ExitCode.TARGET_UNUSABLE
    assert "is not logged in to the network" in completed.stderr + completed.stdout
    assert "Traceback" not in completed.stderr

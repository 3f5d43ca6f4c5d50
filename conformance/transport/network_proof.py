"""Safety by proof: the target is logged in to a simulated Soulseek network, so writes reach no one.

`--profile full` against a live slskd normally needs `--i-understand-this-messages-real-users`,
because a send goes to a real person. With `--network-control URL` (the control API of
`conformance network`), the run instead proves, before any write, that the Soulseek username
the target reports (`GET /api/v0/server`) is logged in to that network now. A name has one
session on a Soulseek server, so while it is logged in there, the target's sends go there,
where only scripted peers and test accounts exist. Anything short of that proof ends the run
with one line and exit code 3 before the first write.

The control API is our own tool, not the target: it is asked directly, outside the run's
guarded session (which counts, paces and records the target's traffic only).
"""

from __future__ import annotations

from conformance.errors import TargetError
from conformance.network.control_client import ControlClient, ControlError


def prove_logged_in(control_url: str, username: str | None, *, timeout: float) -> str:
    """A note naming the proof; TargetError when `username` is not logged in at `control_url`."""
    if not username:
        raise TargetError(
            "cannot prove the target is on the simulated network: GET /api/v0/server reports no "
            "logged-in Soulseek user; no writes were sent"
        )
    try:
        sessions = ControlClient(control_url, timeout).sessions()
    except ControlError as error:
        raise TargetError(str(error)) from None
    found = next((s for s in sessions if isinstance(s, dict) and s.get("username") == username), None)
    if found is None:
        raise TargetError(
            f"the target's Soulseek user {username!r} is not logged in to the network at {control_url}: "
            "no writes were sent (point slskd at that network, or drop --network-control)"
        )
    return (
        f"writes are safe: {username!r} is logged in to the simulated network at {control_url} "
        f"(connection from {found.get('address')}:{found.get('port')})"
    )


def echo_peers(control_url: str, *, timeout: float) -> tuple[str, ...]:
    """The echo peers of the proven network, for a run not told its own (`--echo-peer`).

    `conformance network` has one by default; reading them here means a run needs no flag
    naming them to cover the checks that wait for a reply.
    """
    try:
        peers = ControlClient(control_url, timeout).peers()
    except ControlError as error:
        raise TargetError(str(error)) from None
    return tuple(str(p["username"]) for p in peers if isinstance(p, dict) and p.get("kind") == "echo")

"""What the simulated network did not carry out during a run proven on it (`--network-control`).

A request the network does not implement is either refused (as the real server refuses what it
will not do) or never answered, and then slskd's Soulseek client waits for its timeout and the
REST call fails with 500. Without this, the report would blame slskd for the network's gap. The
control API counts such requests since the network started (`GET /unimplemented`), so the run
reads it once it is proven on the network, and again at its end, and reports the difference:
what this run's target sent, not what earlier runs against the same network did.
"""

from __future__ import annotations

from typing import Any

from conformance.network.control_client import ControlClient, ControlError

Record = dict[str, Any]  # {"code", "name", "count", "users", "answer"}, as the control API has it


def unimplemented_now(control_url: str, timeout: float) -> list[Record] | None:
    """The network's counts so far, or None when its control API does not say (the run then
    compares its end with nothing, and counts what came before it too)."""
    try:
        return ControlClient(control_url, timeout).unimplemented()
    except ControlError:
        return None


def network_section(control_url: str, before: list[Record] | None, timeout: float) -> dict[str, Any]:
    """`run.network` of results.json: what the network did not carry out since `before`, or
    the one line saying why that is unknown."""
    try:
        after = ControlClient(control_url, timeout).unimplemented()
    except ControlError as error:
        return {"control": control_url, "unimplemented": [], "error": str(error)}
    return {"control": control_url, "unimplemented": since(before or [], after), "error": None}


def since(before: list[Record], after: list[Record]) -> list[Record]:
    """The records of `after` with the counts of `before` taken away; a code not sent again is
    left out. The users are all who ever sent the code (the network does not count per user)."""
    earlier = {record["code"]: record["count"] for record in before}
    found = [{**record, "count": record["count"] - earlier.get(record["code"], 0)} for record in after]
    return [record for record in found if record["count"] > 0]

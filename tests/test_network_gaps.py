"""What the simulated network did not carry out, as a run proven on it reports it (issue 21.4):
the counts since the run's start (the network counts since its own), and one line for the
terminal and the first screen of the HTML report."""

from __future__ import annotations

from typing import Any

from conformance.reporting.view import network_unimplemented
from conformance.run.network_gaps import network_section, since

ROOM_LIST = {"code": 64, "name": "ROOM_LIST", "count": 3, "users": ["slskd"], "answer": None}
JOIN = {"code": 14, "name": "JOIN_ROOM", "count": 1, "users": ["slskd"], "answer": "CannotJoinRoom (1003)"}


def with_network(network: dict[str, Any] | None) -> dict[str, Any]:
    return {"run": {"network": network} if network is not None else {}}


def test_only_what_was_sent_during_the_run_counts() -> None:
    before = [{**ROOM_LIST, "count": 2}, JOIN]
    after = [{**ROOM_LIST, "count": 5}, JOIN]  # JOIN_ROOM not sent again
    assert since(before, after) == [{**ROOM_LIST, "count": 3}]
    assert since([], after) == after


def test_the_line_names_each_code_how_often_and_what_it_was_answered() -> None:
    network = {"control": "x", "unimplemented": [ROOM_LIST, JOIN], "error": None}
    line = network_unimplemented(with_network(network))
    assert line == (
        "the simulated network did not carry out 4 requests during the run: code 64 ROOM_LIST ×3 unanswered, "
        "code 14 JOIN_ROOM ×1 refused with CannotJoinRoom (1003); a failure waiting on one may be the "
        "network's, not the target's"
    )


def test_nothing_is_said_when_the_network_carried_out_everything_or_the_run_was_not_on_it() -> None:
    assert network_unimplemented(with_network({"control": "x", "unimplemented": [], "error": None})) is None
    assert network_unimplemented(with_network(None)) is None


def test_a_control_api_gone_at_the_end_is_said_not_taken_for_nothing_missing() -> None:
    section = network_section("http://127.0.0.1:9", [], timeout=1.0)  # nothing listens on the discard port
    assert section["unimplemented"] == []
    assert section["error"].startswith("cannot reach the network control API")
    line = network_unimplemented(with_network(section))
    assert line is not None and line.startswith("what the simulated network did not carry out is unknown: ")

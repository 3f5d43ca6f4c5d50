"""The searches model's judgements on plain values: what the oracle says was sent vs stored."""

from __future__ import annotations

from typing import Any

from conformance.apis.searches.ids import Search
from conformance.apis.searches.model import Ended, SearchSpec, Sent, judge_ending, judge_responses
from conformance.apis.searches.reading import parse_state, seconds
from conformance.apis.searches.steps import judge_states
from conformance.peers.library import SharedFile
from conformance.peers.responses import PeerResponse

TOKEN = 77


def response(
    user: str, *, token: int = TOKEN, files: int = 2, queue: int = 0, speed: int = 500
) -> dict[str, Any]:
    shared = tuple(
        SharedFile(f"Music\\{user}\\{i} song.mp3", 1000 + i, ((0, 320), (1, 200))) for i in range(files)
    )
    return PeerResponse(user, token, shared, (), True, speed, queue).as_json()


def ended(stored: list[dict[str, Any]], sent: list[Sent], reason: str = "TimedOut", **spec: Any) -> Ended:
    counts = {
        "responseCount": len(stored),
        "fileCount": sum(r["fileCount"] for r in stored),
        "lockedFileCount": sum(r["lockedFileCount"] for r in stored),
    }
    return Ended(
        SearchSpec("song", timeout=1, **spec), TOKEN, reason, 100.0, 101.5, counts, stored, 1.0, None, sent
    )


def failing(findings: list[Any]) -> set[str]:
    return {f.requirement for f in findings if not f.ok}


def test_state_strings() -> None:
    assert parse_state("Completed, TimedOut") == ("Completed", "TimedOut")
    assert parse_state("InProgress") == ("InProgress", None)
    assert parse_state("completed, timedOut") is None
    assert parse_state("Completed|TimedOut") is None
    assert seconds("1970-01-01T00:00:01.5000000Z") == 1.5


def test_timed_out_holds_exactly_the_timely_eligible() -> None:
    good, busy, wrong = response("a"), response("busy", queue=5000), response("w", token=TOKEN ^ 1)
    late = response("late")
    sent = [
        Sent("a", 100.1, good),
        Sent("busy", 100.1, busy),
        Sent("w", 100.1, wrong),
        Sent("late", 103.0, late),
    ]
    assert failing(judge_responses(ended([good], sent, max_queue=100))) == set()
    assert Search.SEARCH_RESPONSES_EXACT in failing(judge_responses(ended([], sent, max_queue=100)))
    assert Search.SEARCH_RESPONSES_FILTERED in failing(
        judge_responses(ended([good, busy], sent, max_queue=100))
    )
    assert Search.SEARCH_RESPONSES_TOKEN in failing(judge_responses(ended([good, wrong], sent)))
    assert Search.SEARCH_RESPONSES_LATE_DROPPED in failing(judge_responses(ended([good, late], sent)))
    assert Search.SEARCH_RESPONSES_EXACT in failing(judge_responses(ended([good, good], sent)))
    # filterResponses=false: the busy peer must be there too
    unfiltered = judge_responses(ended([good], sent, max_queue=100, filter_responses=False))
    assert Search.SEARCH_RESPONSES_FILTERED in failing(unfiltered)


def test_fields_and_counts() -> None:
    good = response("a")
    sent = [Sent("a", 100.1, good)]
    swapped = {
        **good,
        "files": [{**f, "bitRate": f["length"], "length": f["bitRate"]} for f in good["files"]],
    }
    assert Search.SEARCH_RESPONSES_EXACT in failing(judge_responses(ended([swapped], sent)))
    doubled = ended([good], sent)
    doubled.counts["responseCount"] = 2
    assert failing(judge_responses(doubled)) == {Search.SEARCH_COUNTS}


def test_endings() -> None:
    good = response("a")
    sent = [Sent("a", 100.1, good)]
    assert failing(judge_ending(ended([good], sent))) == set()
    assert Search.SEARCH_LIMIT_RESPONSES in failing(judge_ending(ended([good], sent, response_limit=1)))
    assert Search.SEARCH_COMPLETE_REASON in failing(judge_ending(ended([good], sent, "ResponseLimitReached")))
    assert Search.SEARCH_COMPLETE_REASON in failing(judge_ending(ended([good], sent, "Cancelled")))
    not_reset = ended([good], [Sent("a", 101.2, good)])  # ended 0.3 s after it, timeout 1 s
    assert Search.SEARCH_TIMEOUT_RESET in failing(judge_ending(not_reset))


def test_states_forward_only() -> None:
    def body(state: str, done: bool, responses: int = 0) -> dict[str, Any]:
        return {
            "state": state,
            "isComplete": done,
            "endedAt": "x" if done else None,
            "responseCount": responses,
        }

    fine = [body("Requested", False), body("InProgress", False, 2), body("Completed, TimedOut", True, 3)]
    assert failing(judge_states(fine)) == set()
    back = [body("InProgress", False), body("Queued", False)]
    assert failing(judge_states(back)) == {Search.SEARCH_STATE_FORWARD}
    fewer = [body("InProgress", False, 3), body("InProgress", False, 1)]
    assert failing(judge_states(fewer)) == {Search.SEARCH_COUNTS_MONOTONIC}

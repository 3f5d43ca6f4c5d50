"""How preflight's facts decide whether authentication is on: any sign turns it on for every
route, off needs every read to agree, and anything else is unknown (checks skipped, reason shown)."""

from __future__ import annotations

import pytest

from conformance.transport.auth_state import AuthState, Unauthenticated, decide

SAYS_ENABLED = "GET /api/v0/session/enabled says enabled"
SAYS_DISABLED = "GET /api/v0/session/enabled says disabled"
LIST, GET, MESSAGES = (
    "GET /api/v0/conversations",
    "GET /api/v0/conversations/slskd-conformance-preflight",
    "GET /api/v0/conversations/slskd-conformance-preflight/messages",
)


def answers(list_status: int, get_status: int, messages_status: int) -> list[Unauthenticated]:
    return [
        Unauthenticated(LIST, list_status),
        Unauthenticated(GET, get_status),
        Unauthenticated(MESSAGES, messages_status),
    ]


@pytest.mark.parametrize(
    ("said", "saying", "credentials", "statuses", "state"),
    [
        (True, SAYS_ENABLED, True, (401, 401, 401), AuthState.ON),
        (True, SAYS_ENABLED, True, (200, 401, 401), AuthState.ON),  # one open route: its failure
        (True, SAYS_ENABLED, False, (200, 404, 404), AuthState.ON),  # the target says so
        (None, "GET /api/v0/session/enabled answered 404", True, (200, 404, 404), AuthState.ON),  # a key
        # a target that says it is open and is open everywhere: a key given as well changes nothing
        (False, SAYS_DISABLED, True, (200, 404, 404), AuthState.OFF),
        (False, SAYS_DISABLED, True, (200, 500, 404), AuthState.ON),  # not open everywhere: the key counts
        (False, SAYS_DISABLED, False, (200, 401, 404), AuthState.ON),  # one read refused
        (False, SAYS_DISABLED, False, (200, 404, 404), AuthState.OFF),
        (None, "GET /api/v0/session/enabled answered 404", False, (200, 404, 404), AuthState.OFF),
        (False, SAYS_DISABLED, False, (200, 500, 404), AuthState.UNKNOWN),
        (None, "GET /api/v0/session/enabled answered 500", False, (403, 404, 404), AuthState.UNKNOWN),
    ],
)
def test_the_state_follows_from_the_facts(
    said: bool | None, saying: str, credentials: bool, statuses: tuple[int, int, int], state: AuthState
) -> None:
    assert decide(said, saying, credentials, answers(*statuses)).state is state


def test_on_names_every_sign_and_notes_each_route_that_answered_anyway() -> None:
    decided = decide(True, SAYS_ENABLED, True, answers(200, 401, 401))
    assert decided.reason == (
        f"{SAYS_ENABLED}; the run was given credentials; {GET}, {MESSAGES} without credentials answered 401"
    )
    assert decided.served == (LIST,)
    assert decided.contradictions() == [
        f"{LIST} answered without credentials although authentication is on: a failure of that route "
        "(AUTH-MISSING-401), the other routes are checked as well"
    ]


def test_off_with_credentials_says_they_were_not_needed() -> None:
    off = decide(False, SAYS_DISABLED, True, answers(200, 404, 404))
    assert off.reason.endswith("answered without credentials; the credentials given were not needed")


def test_off_and_unknown_say_why_the_checks_are_skipped() -> None:
    off = decide(False, SAYS_DISABLED, False, answers(200, 404, 404))
    assert off.skip_reason() == (
        f"authentication is off: {SAYS_DISABLED}, and {LIST}, {GET}, {MESSAGES} answered without credentials"
    )
    assert off.contradictions() == []  # nothing contradicts: the target is open
    unknown = decide(False, SAYS_DISABLED, False, answers(200, 500, 404))
    assert (
        unknown.skip_reason()
        == f"authentication is unknown: {SAYS_DISABLED}; without credentials {GET} answered 500"
    )
    assert unknown.as_json() == {
        "state": "unknown",
        "reason": unknown.reason,
        "served_anonymously": [LIST, MESSAGES],
    }

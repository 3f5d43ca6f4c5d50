"""Schemathesis' failures map onto requirements: the generic ones everywhere, an API's own
where it declares them (`Api.failures`), and the refusals its docs allow are no failure."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from conformance.apis import refused
from conformance.checks.generic import requirement_for

SEND = "POST /conversations/{username}"


def failure(code: str) -> Any:
    """A failure as the mapping reads it: by its code."""
    return SimpleNamespace(code=code)


def test_accepted_invalid_input_is_the_send_s_400_there_and_a_lenient_binding_elsewhere() -> None:
    assert requirement_for(failure("ST201"), SEND) == "CONV-SEND-INVALID-400"
    assert requirement_for(failure("ST201"), "GET /conversations") == "DOCGAP-LENIENT-BINDING"


def test_rejected_valid_input_is_the_send_s_201_there_and_an_undocumented_status_elsewhere() -> None:
    assert requirement_for(failure("ST202"), SEND) == "CONV-SEND-201"
    assert requirement_for(failure("ST202"), "GET /conversations") == "API-STATUS-DOCUMENTED"
    assert requirement_for(failure("ST101"), SEND) == "API-NO-SERVER-ERROR"


def test_a_send_to_a_blank_username_answering_400_is_a_refusal() -> None:
    def case(username: str) -> SimpleNamespace:
        return SimpleNamespace(path_parameters={"username": username}, operation=SimpleNamespace(label=SEND))

    answered_400 = SimpleNamespace(status_code=400)
    assert refused(case("%20%20"), answered_400, failure("ST202"))
    assert not refused(case("alice"), answered_400, failure("ST202"))
    assert not refused(case(" "), answered_400, failure("ST201"))

"""The probes that are data: how an expectation reads, and how a step is parsed."""

from __future__ import annotations

import pytest

from conformance.checks.scenarios import Answers, load_scenarios
from conformance.requirements.catalogue import Need


@pytest.mark.parametrize(
    ("text", "accepted", "refused"),
    [
        ("404", [404], [200, 400, 500]),
        ("4xx|5xx", [400, 404, 415, 500, 503], [200, 201, 204, 302]),
        ("!5xx", [200, 204, 404], [500, 502]),
        ("!200", [201, 400, 500], [200]),
        ("204|404", [204, 404], [200, 400]),
    ],
)
def test_an_expectation_accepts_exactly_its_statuses(
    text: str, accepted: list[int], refused: list[int]
) -> None:
    answers = Answers(text)
    assert all(answers.accept(status) for status in accepted)
    assert not any(answers.accept(status) for status in refused)


def test_an_expectation_says_what_it_expected() -> None:
    assert Answers("404").describe() == "404"
    assert Answers("4xx|5xx").describe() == "4xx or 5xx"
    assert Answers("!200").describe() == "anything but 200"


def test_a_step_keeps_json_null_apart_from_no_body() -> None:
    invalid = {s.name: s for s in load_scenarios()}["empty-and-invalid-messages-answer-400-and-store-nothing"]
    null, *_, missing = invalid.steps[1:]
    assert null.sends_json and null.json is None
    assert not missing.sends_json and missing.content_type == "application/json"
    assert [step.path for step in invalid.steps] == [("conversations", "{user}")] * len(invalid.steps)


def test_a_scene_set_by_stored_sends_says_so_and_the_rest_need_no_login() -> None:
    needs = {s.name: s.needs for s in load_scenarios()}
    assert needs["acknowledging-an-id-shared-by-several-messages-does-not-fail"] is Need.OUTGOING
    assert needs["acknowledging-an-unknown-message-id-answers-404"] is Need.NOTHING, "a failed send opens it"
    assert needs["writes-to-an-unknown-username-answer-404"] is Need.NOTHING

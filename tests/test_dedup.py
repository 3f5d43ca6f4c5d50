"""Which generated cases are not sent: repeats of a passing request, and the rest of a
stream whose answers have settled; never a case Hypothesis replays after a failure."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import requests

from conformance.checks.dedup import CaseFilter, fuzzing_draws, shape


@dataclass
class FakeCase:
    """The parts of a Schemathesis case the filter reads."""

    formatted_path: str
    label: str = "GET /users/{username}/info"
    method: str = "GET"
    query: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    media_type: str | None = None
    body: Any = None
    meta: Any = None

    @property
    def operation(self) -> SimpleNamespace:
        return SimpleNamespace(label=self.label)


def answer(status: int, body: bytes = b"") -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = body
    return response


def test_shape_keeps_the_structure_and_drops_the_values() -> None:
    assert shape({"a": 1, "b": ["x", "y"]}) == shape({"b": ["z"], "a": 7})
    assert shape({"a": 1}) != shape({"a": "1"})
    assert shape([]) != shape([1])


def test_a_repeat_of_a_passing_request_is_not_sent_again() -> None:
    cases = CaseFilter()
    first = FakeCase("/users/a/info", headers={"X-Schemathesis-TestCaseId": "1"})
    assert cases.worth_sending(first)
    cases.record(first, answer(404), passed=True)
    assert not cases.worth_sending(FakeCase("/users/a/info", headers={"X-Schemathesis-TestCaseId": "2"}))
    assert cases.worth_sending(FakeCase("/users/b/info"))
    assert cases.worth_sending(FakeCase("/users/a/info", query={"x": "1"}))


def test_a_failing_request_is_sent_again_when_hypothesis_replays_it() -> None:
    cases = CaseFilter(settle_after=1)
    failing = FakeCase("/users/a/info")
    cases.record(failing, answer(500), passed=False)
    assert cases.worth_sending(failing)
    cases.record(FakeCase("/users/b/info"), answer(404), passed=True)
    assert cases.worth_sending(FakeCase("/users/c/info")), "an operation that failed never settles"


def test_an_operation_settles_after_answering_alike_in_a_row() -> None:
    cases = CaseFilter(settle_after=3)
    for n, status in enumerate((404, 200, 404, 404)):
        cases.record(FakeCase(f"/users/{n}/info"), answer(status), passed=True)
    assert cases.worth_sending(FakeCase("/users/x/info")), "two alike answers are not yet settled"
    cases.record(FakeCase("/users/4/info"), answer(404), passed=True)
    assert not cases.worth_sending(FakeCase("/users/y/info"))
    assert cases.worth_sending(FakeCase("/users/y/status", label="GET /users/{username}/status"))


def test_without_settle_after_only_repeats_are_left_out() -> None:
    cases = CaseFilter()
    for n in range(10):
        cases.record(FakeCase(f"/users/{n}/info"), answer(404), passed=True)
    assert cases.worth_sending(FakeCase("/users/new/info"))


def drawn(n: int, phase: str, mode: str = "positive") -> FakeCase:
    meta = SimpleNamespace(phase=SimpleNamespace(name=phase), generation=SimpleNamespace(mode=mode))
    return FakeCase(f"/users/{n}/info", meta=meta)


def test_fuzzing_draws_settle_per_generation_mode_and_coverage_cases_never() -> None:
    cases = CaseFilter(settle_after=2, stream=fuzzing_draws)
    for n in range(2):
        cases.record(drawn(n, "fuzzing"), answer(404), passed=True)
        cases.record(drawn(10 + n, "coverage"), answer(404), passed=True)
    assert not cases.worth_sending(drawn(20, "fuzzing"))
    assert cases.worth_sending(drawn(21, "fuzzing", mode="negative")), "negative draws are another stream"
    assert cases.worth_sending(drawn(22, "coverage")), "each coverage case asks a question of its own"

"""Generated cases that cannot change a verdict are not sent.

Two kinds: a request identical to one already sent (Schemathesis' coverage and fuzzing
phases repeat some: the same question, the same verdict), and, where `settle_after` is
given, any further case of a stream that has answered that many cases in a row with the
same kind of answer (status class and body shape) and passed: random draws that keep
drawing the same answer have asked what the rest would ask. What a stream is depends on
the test: every case of one operation for the generic reads of the whole API (random ids
draw the same documented 404 from every server), one operation's fuzzing-phase draws of one
generation mode for an API checked behaviourally (random usernames draw the documented 404,
valid writes their one success); the coverage phase's cases are each a different question (one boundary, one
wrong type), so they never settle there.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable
from typing import Any

import requests

from conformance.transport.diagnosis import json_body


def shape(value: Any) -> Any:
    """The JSON structure of a value without its contents: types, keys, element shapes."""
    if isinstance(value, dict):
        return tuple(sorted((key, shape(item)) for key, item in value.items()))
    if isinstance(value, list):
        return ("list", tuple(sorted({repr(shape(item)) for item in value})))
    return type(value).__name__


def request_key(case: Any) -> tuple[Any, ...]:
    """What a generated case sends, Schemathesis' per-case bookkeeping headers left out."""
    headers = {k: v for k, v in (case.headers or {}).items() if not k.lower().startswith("x-schemathesis")}
    return (
        case.method,
        case.formatted_path,
        repr(sorted((case.query or {}).items())),
        repr(sorted(headers.items())),
        case.media_type,
        repr(case.body),
    )


Stream = Callable[[Any], Hashable | None]


def by_operation(case: Any) -> Hashable:
    """Every case of one operation is one stream."""
    return case.operation.label


def fuzzing_draws(case: Any) -> Hashable | None:
    """One operation's fuzzing-phase cases of one generation mode are a stream; a case of
    another phase (coverage: each a question of its own) belongs to none."""
    meta = getattr(case, "meta", None)
    if meta is None or meta.phase.name != "fuzzing":
        return None
    return case.operation.label, str(meta.generation.mode)


def answer_kind(response: requests.Response) -> tuple[Any, ...]:
    """(status class, body shape): what kind of answer, whatever its values."""
    return response.status_code // 100, shape(json_body(response) if response.content else None)


class CaseFilter:
    """Per process: which generated cases are still worth a request.

    Only cases that passed are remembered, and an operation that failed once never settles:
    Hypothesis replays a failing case while it shrinks, and that replay must be sent."""

    def __init__(self, settle_after: int | None = None, stream: Stream = by_operation) -> None:
        self.settle_after = settle_after
        self.stream = stream
        self._passed: set[tuple[Any, ...]] = set()
        self._answers: dict[Hashable, deque[tuple[Any, ...]]] = {}
        self._failed: set[str] = set()  # operations with a failing case

    def worth_sending(self, case: Any) -> bool:
        """False for a repeat of a passing case, or for a case of a stream whose answers settled."""
        if request_key(case) in self._passed:
            return False
        recent = self._answers.get(self.stream(case), ())
        return not (
            self.settle_after is not None
            and case.operation.label not in self._failed
            and len(recent) == self.settle_after
            and len(set(recent)) == 1
        )

    def record(self, case: Any, response: requests.Response, passed: bool) -> None:
        """Remember how a sent case fared, and the kind of answer it drew."""
        if not passed:
            self._failed.add(case.operation.label)
            return
        self._passed.add(request_key(case))
        key = self.stream(case)
        if self.settle_after is not None and key is not None:
            self._answers.setdefault(key, deque(maxlen=self.settle_after)).append(answer_kind(response))

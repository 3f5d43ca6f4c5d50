"""Checks of one response that Schemathesis cannot know about: slskd's JSON conventions.

Each registered function looks at one property of a response and returns a verdict for
one requirement; `check_response` runs them all, has the run's `Judge` judge and record
the verdicts and returns the defects, so the generated tests, the probes and the state
machine judge responses the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import jsonschema_rs
import requests

from conformance.apis import claimed_tags
from conformance.checks.context import SuiteContext, request_line
from conformance.checks.timestamps import not_utc
from conformance.requirements.ids import Req
from conformance.requirements.registry import check
from conformance.transport.diagnosis import json_body

DIRECTIONS = frozenset({"In", "Out"})


def walk(value: Any, key: str | None = None) -> Iterator[tuple[str | None, Any]]:
    """Every (property name, value) pair in a JSON document, depth first."""
    yield key, value
    if isinstance(value, dict):
        for name, child in value.items():
            yield from walk(child, name)
    elif isinstance(value, list):
        for child in value:
            yield from walk(child, key)


def objects(body: Any) -> list[dict[str, Any]]:
    """The JSON objects of an answer that should be a list of them; none for any other shape.

    The schema check reports a wrongly shaped answer as a defect; what reads the answer
    afterwards then judges an empty list instead of crashing on a string or a number.
    """
    return [item for item in body if isinstance(item, dict)] if isinstance(body, list) else []


def an_object(body: Any) -> dict[str, Any] | None:
    """The answer when it is the JSON object it should be; None for any other shape."""
    return body if isinstance(body, dict) else None


def _method(label: str) -> str:
    return label.split(" ", 1)[0]


def documented_schema(spec: dict[str, Any], label: str, status: int) -> dict[str, Any] | None:
    """The JSON Schema the spec documents for `label`'s `status` answer, refs resolvable."""
    method, path = label.split(" ", 1)
    response = (
        spec.get("paths", {}).get(path, {}).get(method.lower(), {}).get("responses", {}).get(str(status))
    )
    schema = ((response or {}).get("content") or {}).get("application/json", {}).get("schema")
    return None if schema is None else {**schema, "components": spec.get("components", {})}


def schema_problem(spec: dict[str, Any], label: str, status: int, body: Any) -> str | None:
    """Why `body` does not match the documented model (None: it matches, or nothing is documented).

    A compiled validator (jsonschema-rs, which Schemathesis brings) answers whether the body
    matches, in microseconds even for a long list; only a body that does not is validated
    again by `jsonschema` (loaded only then: ~0.1 s), whose best match names the wrong property.
    """
    compiled = _compiled(spec, label, status)
    if compiled is None:
        return None
    schema, validator = compiled
    try:
        if validator is not None and validator.is_valid(body):
            return None
    except ValueError:  # a value jsonschema-rs cannot take: the slower validator decides
        pass
    from jsonschema import Draft7Validator
    from jsonschema.exceptions import best_match

    error = best_match(Draft7Validator(schema).iter_errors(body))
    if error is None:
        return None
    where = "/".join(map(str, error.absolute_path)) or "the body"
    return f"{label} {status}: {where}: {error.message}"


Compiled = tuple[dict[str, Any], jsonschema_rs.Validator | None]  # the schema, its fast validator
_COMPILED: dict[tuple[int, str, int], tuple[dict[str, Any], Compiled | None]] = {}
COMPILED_KEPT = 256  # validators of a few specs; a process checks one spec at a time


def _compiled(spec: dict[str, Any], label: str, status: int) -> Compiled | None:
    """The schema of `label`'s documented `status` answer and its validator, compiled once per
    spec; None when nothing is documented. The validator is None for a schema jsonschema-rs
    cannot compile (a pattern only Python's `re` reads, like `(?P<name>…)`): `jsonschema` judges.

    The cache holds the spec itself, so its `id` cannot be reused by another spec meanwhile.
    Formats are not validated, as `jsonschema.Draft7Validator` without a format checker.
    """
    key = (id(spec), label, status)
    kept = _COMPILED.get(key)
    if kept is None:
        if len(_COMPILED) >= COMPILED_KEPT:
            _COMPILED.clear()
        kept = _COMPILED[key] = (spec, _compile(documented_schema(spec, label, status)))
    return kept[1]


def _compile(schema: dict[str, Any] | None) -> Compiled | None:
    if schema is None:
        return None
    try:
        return schema, jsonschema_rs.Draft7Validator(schema, validate_formats=False)
    except ValueError:
        return schema, None


@dataclass(frozen=True)
class Answer:
    """One response as the per-response checks see it."""

    label: str  # the operation, e.g. "GET /items/{id}"
    response: requests.Response
    body: Any  # the JSON body, None when there is none
    pairs: tuple[tuple[str | None, Any], ...]  # every (property name, value) in the body

    @property
    def status(self) -> int:
        return self.response.status_code

    def named(self, name: str) -> list[Any]:
        return [value for key, value in self.pairs if key == name]

    def with_body(self, ctx: SuiteContext) -> str:
        body = ctx.body_excerpt(self.response, 200)
        return f"{request_line(self.response)} answered {self.status} with a body: {body}"


Verdict = tuple[bool, str] | None  # (held, why not); None: the check has nothing to judge here
ResponseCheck = Callable[[SuiteContext, Answer], Verdict]
RESPONSE_CHECKS: list[tuple[str, ResponseCheck]] = []


def response_check(requirement: Req) -> Callable[[ResponseCheck], ResponseCheck]:
    """Register a per-response check of `requirement`; `check_response` runs them in order."""

    def decorate(function: ResponseCheck) -> ResponseCheck:
        RESPONSE_CHECKS.append((requirement, function))
        return check(requirement, kind="response")(function)

    return decorate


@response_check(Req.API_RESPONSE_SCHEMA)
def matches_the_documented_model(ctx: SuiteContext, answer: Answer) -> Verdict:
    """A 2xx JSON body validates against the model its operation documents."""
    if answer.body is None or not 200 <= answer.status < 300 or not ctx.spec:
        return None
    problem = schema_problem(ctx.spec, answer.label, answer.status, answer.body)
    return problem is None, problem or ""


@response_check(Req.API_NO_NULLS)
def no_nulls(ctx: SuiteContext, answer: Answer) -> Verdict:
    """No property of a JSON body is written as null."""
    if answer.body is None:
        return None
    nulls = [name for name, value in answer.pairs if value is None and name is not None]
    return not nulls, f"null written for {sorted(set(nulls))}"


@response_check(Req.API_TIMESTAMP_UTC)
def utc_timestamps(ctx: SuiteContext, answer: Answer) -> Verdict:
    """Every timestamp is an ISO-8601 date-time in UTC, in one of the forms that say so."""
    stamps = answer.named("timestamp")
    if not stamps:
        return None
    problem = not_utc(stamps)
    return problem is None, problem or ""


@response_check(Req.API_ENUM_STRINGS)
def direction_names(ctx: SuiteContext, answer: Answer) -> Verdict:
    """Message directions are the enum's names, In or Out."""
    directions = answer.named("direction")
    if not directions:
        return None
    bad = [d for d in directions if d not in DIRECTIONS]
    return not bad, f"directions outside In/Out: {bad[:3]}"


@response_check(Req.API_EMPTY_ERROR_BODY)
def empty_error_body(ctx: SuiteContext, answer: Answer) -> Verdict:
    """A 4xx answer has an empty body."""
    if not 400 <= answer.status < 500:
        return None
    return not answer.response.content, answer.with_body(ctx)


@response_check(Req.API_EMPTY_WRITE_BODY)
def empty_write_body(ctx: SuiteContext, answer: Answer) -> Verdict:
    """A successful write answers with an empty body."""
    if _method(answer.label) == "GET" or not 200 <= answer.status < 300:
        return None
    return not answer.response.content, answer.with_body(ctx)


@response_check(Req.DOCGAP_OVERLAY_STATUS)
def status_only_the_overlay_documents(ctx: SuiteContext, answer: Answer) -> Verdict:
    """A status only the overlay documents (not the docs) is a documentation gap."""
    overlay_only = ctx.overlay_statuses.get(answer.label, {})
    if str(answer.status) not in overlay_only:
        return None
    return (
        False,
        f"{request_line(answer.response)} answered {answer.status}: {overlay_only[str(answer.status)]}",
    )


_WHOLE: Any = object()


def _judged_on(ctx: SuiteContext, requirement: str, label: str) -> bool:
    """Whether a shared per-response requirement judges this operation's answers. An operation
    an API checks behaviourally is judged only by the shared requirements that list it (what is
    true of one API's controller, an empty 4xx body say, is not a promise of another's); the
    operations checked by shape only are judged by every one."""
    listed = ctx.catalogue[requirement].operations if requirement in ctx.catalogue else ()
    return not listed or label in listed or label not in _behavioural_operations(ctx.catalogue)


_CLAIMED: dict[int, frozenset[str]] = {}


def _behavioural_operations(catalogue: dict[str, Any]) -> frozenset[str]:
    """The operations some API's own requirements name (the catalogue is the run's, fixed)."""
    key = id(catalogue)
    if key not in _CLAIMED:
        tags = claimed_tags()
        _CLAIMED[key] = frozenset(
            op
            for requirement in catalogue.values()
            if requirement.tag in tags
            for op in requirement.operations
        )
    return _CLAIMED[key]


def check_response(
    ctx: SuiteContext, label: str, response: requests.Response, body: Any = _WHOLE
) -> list[str]:
    """Judge `response` by every per-response check; return the defects found. `body`, when
    given, is the part of the JSON body to judge (the rest passed before)."""
    body = json_body(response) if body is _WHOLE else body
    answer = Answer(label, response, body, tuple(walk(body)) if body is not None else ())
    defects = []
    for requirement, function in RESPONSE_CHECKS:
        if not _judged_on(ctx, requirement, label):
            continue
        verdict = function(ctx, answer)
        if verdict is not None and ctx.judge.verdict(requirement, *verdict, check="response"):
            defects.append(requirement)
    return defects

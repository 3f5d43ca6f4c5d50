"""The POST /searches body as slskd binds and validates it, and its refusals as slskd writes
them: 400 with a readable string (text/plain), never a ProblemDetails."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

from conformance.apis.searches.stored import INT32_MAX, Defaults
from conformance.reference.wire import HttpError, Reply, Request

BAD_REQUEST = 400
TEXT_TYPE = "text/plain; charset=utf-8"


class Refused(HttpError):
    """A 400 whose body is slskd's readable validation string (text/plain, as BadRequest(string))."""

    def __init__(self, message: str) -> None:
        super().__init__(BAD_REQUEST)
        self.message = message


def refusing(handler: Callable[[Request], Reply]) -> Callable[[Request], Reply]:
    """`handler` with its validation refusals answered as slskd writes them (a plain string)."""

    def handle(request: Request) -> Reply:
        try:
            return handler(request)
        except Refused as refused:
            return text_reply(BAD_REQUEST, refused.message)

    return handle


def text_reply(status: int, message: str) -> Reply:
    return Reply(status, message.encode("utf-8"), TEXT_TYPE)


def parse_search_request(body: bytes, defaults: Defaults, least_timeout: int) -> dict[str, Any]:
    """The SearchRequest, bound and validated: `Refused` (400, a readable string) when it is not
    one. `least_timeout`: the smallest `searchTimeout` in the behaviour's unit."""
    try:
        document = json.loads(body.decode("utf-8-sig"))
    except (ValueError, RecursionError):
        raise Refused("The request body is not valid JSON") from None
    if not isinstance(document, dict):
        raise Refused("The request body must be a SearchRequest object")
    given = {key.lower(): value for key, value in document.items()}
    fields: dict[str, Any] = {}
    identifier = given.get("id")
    if identifier is not None:
        try:
            fields["id"] = str(uuid.UUID(identifier)) if isinstance(identifier, str) else None
        except ValueError:
            fields["id"] = None
        if fields["id"] is None:
            raise Refused(f"The JSON value could not be converted to System.Guid: id {identifier!r}")
    else:
        fields["id"] = None
    text = given.get("searchtext")
    if text is not None and not isinstance(text, str):
        raise Refused("The JSON value could not be converted to System.String: searchText")
    if text is None or not text.strip():
        raise Refused("The SearchText field is required.")
    fields["searchText"] = text
    numbers = {
        "searchTimeout": (defaults.timeout, least_timeout),
        "responseLimit": (defaults.response_limit, 0),
        "fileLimit": (defaults.file_limit, 0),
        "minimumResponseFileCount": (defaults.min_files, 0),
        "maximumPeerQueueLength": (defaults.max_queue, 0),
        "minimumPeerUploadSpeed": (defaults.min_speed, 0),
        "token": (None, 0),
    }
    for name, (default, least) in numbers.items():
        value = given.get(name.lower())
        if value is None:
            fields[name] = default
            continue
        if not isinstance(value, int) or isinstance(value, bool) or value > INT32_MAX:
            raise Refused(f"The JSON value could not be converted to System.Int32: {name}")
        if value < least:
            raise Refused(f"The field {name} must be between {least} and {INT32_MAX}.")
        fields[name] = value
    flag = given.get("filterresponses")
    if flag is not None and not isinstance(flag, bool):
        raise Refused("The JSON value could not be converted to System.Boolean: filterResponses")
    fields["filterResponses"] = True if flag is None else flag
    return fields

"""Targets that are not a usable slskd: each handler is one way a real deployment goes wrong."""

from __future__ import annotations

import time

from tests.servers.local import Handler, Received, Reply

HTML = b"<!doctype html><html><head><title>slskd</title></head><body>app</body></html>"


def html_page(request: Received) -> Reply:
    """A web UI or another site: HTML for every path (slskd's UI without the API, a router page …)."""
    return Reply(200, HTML, "text/html; charset=utf-8")


def unauthorized(request: Received) -> Reply:
    """An slskd that rejects every credential: 401 with an empty body on every call."""
    return Reply(401, headers={"WWW-Authenticate": "Bearer"})


def not_found(request: Received) -> Reply:
    """Some other web server: an HTML 404 page for every route."""
    return Reply(404, b"<html><body><h1>404 Not Found</h1></body></html>", "text/html")


def hanging(seconds: float) -> Handler:
    """Accepts the connection and reads the request, then answers only after `seconds`."""

    def answer(request: Received) -> Reply:
        time.sleep(seconds)
        return Reply.json("true")

    return answer


# JSON a route never documents, one of each kind: every list/object/field assumption meets one.
WRONG_SHAPES = {
    "object": '{"unexpected": {"username": 7, "messages": "none"}}',
    "list": '["a string", 7, null, [], {"username": 7, "id": "x", "messages": 3}]',
    "string": '"a string"',
    "null": "null",
    "number": "42",
}


def wrong_shape(body: str) -> Handler:
    """Answers every route, whatever the method, 200 with the same JSON `body`: lists where
    objects belong, objects where lists belong, scalars everywhere."""

    def answer(request: Received) -> Reply:
        return Reply.json(body)

    return answer

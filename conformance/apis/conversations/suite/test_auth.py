"""Authentication on every operation: no credentials and wrong credentials get 401."""

from __future__ import annotations

import pytest

from conformance.apis.conversations.probes import ConversationProbe
from conformance.checks.context import SuiteContext, request_line
from conformance.checks.probes import unknown_user
from conformance.requirements.ids import Req
from conformance.requirements.registry import check

NO_CREDENTIALS = {"X-API-Key": None, "Authorization": None}
WRONG_KEY = {"X-API-Key": "slskd-conformance-wrong-key", "Authorization": None}

ROUTES = [
    ("GET", ("conversations",)),
    ("GET", ("conversations", "{user}")),
    ("GET", ("conversations", "{user}", "messages")),
    ("POST", ("conversations", "{user}")),
    ("PUT", ("conversations", "{user}", 1)),
    ("PUT", ("conversations", "{user}")),
    ("DELETE", ("conversations", "{user}")),
]


@pytest.fixture
def probe(conformance: SuiteContext) -> ConversationProbe:
    if not conformance.auth_enabled:
        pytest.skip("authentication is not on (see run.authentication in results.json)")
    return ConversationProbe(conformance)


@check(Req.AUTH_MISSING_401, Req.AUTH_WRONG_KEY_401, kind="auth")
@pytest.mark.parametrize(("method", "route"), ROUTES, ids=[f"{m} {'/'.join(map(str, r))}" for m, r in ROUTES])
def test_requests_without_valid_credentials_answer_401(
    probe: ConversationProbe, method: str, route: tuple
) -> None:
    user = unknown_user() if method == "GET" else probe.writable_user()
    segments = tuple(user if part == "{user}" else part for part in route)
    body = {"json": "auth check"} if method == "POST" else {}
    for requirement, headers in ((Req.AUTH_MISSING_401, NO_CREDENTIALS), (Req.AUTH_WRONG_KEY_401, WRONG_KEY)):
        response = probe.call(method, *segments, headers=headers, **body)
        probe.expect_status(requirement, response, 401)
    probe.done()


@check(Req.AUTH_READONLY_KEY_WRITES, kind="auth")
def test_a_read_only_key_cannot_write(probe: ConversationProbe) -> None:
    key = probe.ctx.readonly_api_key
    if not key:
        pytest.skip("no --readonly-api-key given")
    user = probe.writable_user()
    headers = {"X-API-Key": key, "Authorization": None}
    for method, segments, body in (
        ("POST", ("conversations", user), {"json": "read-only key check"}),
        ("PUT", ("conversations", user), {}),
        ("DELETE", ("conversations", user), {}),
    ):
        response = probe.call(method, *segments, headers=headers, **body)
        probe.check(
            Req.AUTH_READONLY_KEY_WRITES,
            response.status_code in (401, 403),
            f"{request_line(response)} with a read-only API key answered {response.status_code}: "
            "the write went through",
        )
    probe.done()

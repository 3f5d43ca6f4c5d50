"""A message quoting the start of a body masks secrets before it cuts: no half key survives."""

from __future__ import annotations

import pytest
import requests

from conformance.checks.context import SuiteContext
from conformance.checks.responses import Answer, empty_error_body
from conformance.results.collector import CaseRecorder
from conformance.transport.redaction import redact_text

KEY = "excerpt-secret-api-key-0123456789"
SHORTEST_LEAK = 8  # a key prefix this long identifies the key (base64 fragments start at 8 too)


def context() -> SuiteContext:
    recorder = CaseRecorder(
        redact=lambda exchange: exchange.to_dict(),
        curl=lambda exchange: "",
        mask=lambda text: redact_text(text, {KEY}),
    )
    return SuiteContext(
        session=requests.Session(),
        base_url="http://127.0.0.1:9/api/v0",
        recorder=recorder,
        catalogue={},
        version=None,
        can_write=False,
        writable_users=(),
        echo_peers=(),
        blacklisted=(),
        auth_enabled=True,
    )


def response(status: int, body: str) -> requests.Response:
    answer = requests.Response()
    answer.status_code = status
    answer._content = body.encode()
    answer.request = requests.Request("GET", "http://127.0.0.1:9/api/v0/conversations").prepare()
    return answer


def leaked_prefixes(message: str) -> list[str]:
    """Every prefix of KEY at least SHORTEST_LEAK long that the message (masked again, as the
    recorder masks every message) still holds."""
    masked = redact_text(message, {KEY})
    return [KEY[:n] for n in range(SHORTEST_LEAK, len(KEY) + 1) if KEY[:n] in masked]


@pytest.mark.parametrize("cut", [120, 200])
@pytest.mark.parametrize("into_the_key", [SHORTEST_LEAK, len(KEY) // 2, len(KEY) - 1])
def test_a_key_at_the_cut_point_leaves_no_prefix_in_the_excerpt(cut: int, into_the_key: int) -> None:
    body = "x" * (cut - into_the_key) + KEY + "y" * 50
    excerpt = context().body_excerpt(response(200, body), cut)
    assert leaked_prefixes(excerpt) == []
    assert excerpt.startswith("'xxx")  # still the start of the body


@pytest.mark.parametrize("into_the_key", [SHORTEST_LEAK, len(KEY) // 2, len(KEY) - 1])
def test_a_check_quoting_an_error_body_leaves_no_prefix_of_a_key_at_its_cut(into_the_key: int) -> None:
    ctx = context()
    body = '{"echo": "' + "x" * (200 - 10 - into_the_key) + KEY + '"}'
    answer = Answer("GET /conversations", response(400, body), None, ())
    held, message = empty_error_body(ctx, answer)
    assert not held
    assert leaked_prefixes(message) == []

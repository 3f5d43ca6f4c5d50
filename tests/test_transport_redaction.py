"""No secret survives into anything a run writes: headers, URLs, bodies, errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.results.exchange import BODY_LIMIT, Exchange
from conformance.results.secret_forms import LONG_SECRET
from conformance.transport.policy import Profile, WritePolicy
from conformance.transport.redaction import redact_exchange, redact_headers, redact_text
from conformance.transport.session import GuardedSession
from tests.servers.fake_slskd import ISSUED_TOKEN, FakeSlskd
from tests.servers.local import LocalServer

KEY = "k3y-With/Special+Chars&=\"'"
PASSWORD = "pässwörd 42"


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer(FakeSlskd(api_key=KEY).handler) as running:
        yield running


def captured(server: LocalServer) -> Exchange:
    """A real exchange that carries the key in a header, the URL and both bodies."""
    seen: list[Exchange] = []
    with GuardedSession(WritePolicy(Profile.FULL, ()), on_exchange=seen.append) as session:
        session.headers["X-API-Key"] = KEY
        session.post(
            f"{server.url}/api/v0/conversations/{quote(KEY, safe='')}",
            params={"apiKey": KEY},
            json={"message": KEY, "password": PASSWORD},
        )
    return seen[-1]


def test_a_key_survives_nowhere_in_a_captured_exchange(server: LocalServer) -> None:
    exchange = captured(server)
    assert json.dumps(KEY)[1:-1] in exchange.response_body  # echoed as the username: the raw capture has it
    redacted = redact_exchange(exchange, {KEY, PASSWORD})
    text = json.dumps(redacted, ensure_ascii=False)
    for form in (KEY, quote(KEY, safe=""), json.dumps(KEY)[1:-1], PASSWORD, json.dumps(PASSWORD)[1:-1]):
        assert form not in text
    assert redacted["request"]["headers"]["X-API-Key"] == "***"
    assert "***" in redacted["request"]["url"] and "***" in redacted["response"]["body"]


def test_credential_headers_are_masked_whatever_they_hold() -> None:
    headers = {
        "Authorization": f"Bearer {ISSUED_TOKEN}",  # a login token the run never knew as a secret
        "Cookie": "session=abc",
        "x-api-key": "not-a-known-secret",
        "User-Agent": f"agent {KEY}",
        "Accept": "application/json",
    }
    assert redact_headers(headers, {KEY}) == {
        "Authorization": "***",
        "Cookie": "***",
        "x-api-key": "***",
        "User-Agent": "agent ***",
        "Accept": "application/json",
    }


def test_userinfo_is_stripped_from_urls() -> None:
    exchange = Exchange("GET", "http://admin:s3cret@127.0.0.1:5030/api/v0/conversations")
    assert redact_exchange(exchange, set())["request"]["url"] == "http://127.0.0.1:5030/api/v0/conversations"


def test_redaction_happens_before_truncation_so_no_half_key_is_left() -> None:
    body = "x" * (BODY_LIMIT - 5) + KEY
    redacted = redact_exchange(Exchange("POST", "http://h/", request_body=body), {KEY})
    assert KEY[:5] not in redacted["request"]["body"]


def test_a_secret_containing_another_is_masked_whole() -> None:
    assert redact_text("token=abcdef", {"abc", "abcdef"}) == "token=***"


@settings(max_examples=200, database=None)
@given(secret=st.text(min_size=4, max_size=30), data=st.data())
def test_any_secret_standing_as_a_token_is_masked_in_every_encoding(secret: str, data: st.DataObject) -> None:
    for form in (secret, quote(secret, safe=""), json.dumps(secret)[1:-1]):
        # Around it, any text that cannot spell the secret itself, one space away.
        other = st.text(st.characters(blacklist_characters=set(form) | set(secret)), max_size=20)
        before, after = data.draw(other), data.draw(other)
        assert secret not in redact_text(f"{before} {form} {after}", {secret})


@settings(max_examples=200, database=None)
@given(
    secret=st.text(min_size=LONG_SECRET, max_size=40), before=st.text(max_size=20), after=st.text(max_size=20)
)
def test_a_long_secret_is_masked_anywhere_even_glued_to_a_word(secret: str, before: str, after: str) -> None:
    for form in (secret, quote(secret, safe=""), json.dumps(secret)[1:-1]):
        assert secret not in redact_text(before + form + after, {secret})


@pytest.mark.parametrize(
    ("text", "secret", "redacted"),
    [
        ("is this the slskd URL?", "sk", "is this the slskd URL?"),  # never inside a word
        ("key sk, then slskd", "sk", "key ***, then slskd"),
        ("GET /x?apiKey=abc&n=1", "abc", "GET /x?apiKey=***&n=1"),
        ("GET /x?q=apiKey%3Dabc%26n", "abc", "GET /x?q=apiKey%3D***%26n"),  # an escape separates
        ('{"m": "\\u0022abc\\u0022"}', "abc", '{"m": "\\u0022***\\u0022"}'),
        ("'\\nabc\\x00abc'", "abc", "'\\n***\\x00***'"),
        ("x-abc-", "-abc-", "x***"),  # an edge that is no word character needs no separator
        ("tokenABCDEFGHIJKLMNOPxyz", "ABCDEFGHIJKLMNOP", "token***xyz"),  # long: anywhere
    ],
)
def test_a_short_secret_is_masked_as_a_whole_token_only(text: str, secret: str, redacted: str) -> None:
    assert redact_text(text, {secret}) == redacted

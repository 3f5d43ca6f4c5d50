"""A curl line from a report works when pasted: the same request, the key from the environment."""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Iterator

import pytest

from conformance.reference.server import ReferenceOptions, ReferenceServer
from conformance.results.exchange import Exchange
from conformance.transport.curl import curl_command
from conformance.transport.policy import Profile, WritePolicy
from conformance.transport.session import GuardedSession

KEY = "k3y-With/Special+Chars&=\"'$`"
PASSWORD = "pässwörd 42"
VARIABLES = {KEY: "SLSKD_API_KEY", PASSWORD: "SLSKD_PASSWORD"}


@pytest.fixture(scope="module")
def server() -> Iterator[ReferenceServer]:
    with ReferenceServer(ReferenceOptions(api_key=KEY)) as running:
        yield running


def captured(server: ReferenceServer, method: str, path: str, **kwargs: object) -> Exchange:
    seen: list[Exchange] = []
    with GuardedSession(WritePolicy(Profile.FULL, ()), on_exchange=seen.append) as session:
        session.headers["X-API-Key"] = KEY
        session.request(method, f"{server.url}/api/v0/{path}", **kwargs)
    return seen[-1]


def pasted(line: str, **environment: str) -> str:
    """What a shell prints running `line`, asked for the status code only."""
    result = subprocess.run(
        ["bash", "-c", f"{line} -s -o /dev/null -w '%{{http_code}}'"],
        env={"PATH": os.environ["PATH"], **environment},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return result.stdout


def test_a_pasted_line_sends_the_same_request_with_the_key_from_the_environment(
    server: ReferenceServer,
) -> None:
    exchange = captured(server, "POST", "conversations/bob", json="hello there")
    line = curl_command(exchange, VARIABLES)
    assert KEY not in line
    assert '"X-API-Key: $SLSKD_API_KEY"' in line
    assert pasted(line, SLSKD_API_KEY=KEY) == str(exchange.status) == "201"
    assert pasted(line, SLSKD_API_KEY="wrong") == "401"


def test_only_the_headers_that_matter_are_replayed(server: ReferenceServer) -> None:
    exchange = captured(server, "PUT", "conversations/bob")
    assert {"User-Agent", "Accept", "Accept-Encoding", "Connection"} <= set(exchange.request_headers)
    words = shlex.split(curl_command(exchange, VARIABLES))
    assert [word for word in words if ":" in word and not word.startswith("http")] == [
        "X-API-Key: $SLSKD_API_KEY"
    ]


def test_a_body_keeps_its_content_type_and_is_redacted() -> None:
    exchange = Exchange(
        "POST",
        "http://h/api/v0/session",
        {"Content-Type": "application/json", "Content-Length": "40"},
        request_body=f'{{"username": "u", "password": "{PASSWORD}"}}',
    )
    words = shlex.split(curl_command(exchange, VARIABLES))
    assert words[words.index("-H") + 1] == "Content-Type: application/json"
    assert words[-2:] == ["--data-raw", '{"username": "u", "password": "***"}']


def test_a_bearer_token_reads_its_variable_and_an_unknown_credential_stays_masked() -> None:
    exchange = Exchange(
        "GET", "http://h/api/v0/conversations", {"Authorization": "Bearer tok.en", "Cookie": "a=b"}
    )
    line = curl_command(exchange, {"tok.en": "SLSKD_TOKEN"})
    assert '"Authorization: Bearer $SLSKD_TOKEN"' in line and "-H 'Cookie: ***'" in line
    wrong = Exchange("GET", "http://h/api/v0/conversations", {"X-API-Key": "deliberately-wrong"})
    assert curl_command(wrong, VARIABLES).endswith("-H 'X-API-Key: ***'")


def test_shell_metacharacters_in_a_body_are_quoted() -> None:
    exchange = Exchange("POST", "http://h/api/v0/conversations/a", request_body="'; rm -rf ~ #")
    assert shlex.split(curl_command(exchange))[-1] == "'; rm -rf ~ #"

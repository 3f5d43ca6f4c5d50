"""The reference server on the wire: persistent connections, Kestrel's body limit, bodies it
cannot parse. A client meets these before any conversation logic, so they are pinned here."""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Iterator

import pytest
import requests

from conformance.reference import ReferenceOptions, ReferenceServer
from conformance.reference.wire import MAX_REQUEST_BODY

JSON = {"Content-Type": "application/json"}


@pytest.fixture
def server() -> Iterator[ReferenceServer]:
    with ReferenceServer(ReferenceOptions()) as server:
        yield server


def connect(server: ReferenceServer) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", int(server.url.rsplit(":", 1)[1]), timeout=10)


def raw(server: ReferenceServer, request: bytes) -> bytes:
    """Send raw bytes, return everything the server sends until it closes the connection."""
    with socket.create_connection(("127.0.0.1", int(server.url.rsplit(":", 1)[1])), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def stored(server: ReferenceServer, username: str) -> list[str]:
    response = requests.get(f"{server.base_url}/conversations/{username}/messages", timeout=10)
    return [m["message"] for m in response.json()] if response.status_code == 200 else []


def test_one_connection_serves_request_after_request(server: ReferenceServer) -> None:
    connection = connect(server)
    connection.request("POST", "/api/v0/conversations/alice", body=json.dumps("hi"), headers=JSON)
    first = connection.getresponse()
    first.read()
    sock = connection.sock
    for _ in range(3):
        connection.request("GET", "/api/v0/conversations/alice")
        response = connection.getresponse()
        assert response.status == 200 and json.loads(response.read())["username"] == "alice"
    assert first.status == 201
    assert connection.sock is sock is not None, "the server kept the connection open (HTTP/1.1 keep-alive)"
    connection.close()


def test_the_connection_close_variant_closes_after_every_answer() -> None:
    with ReferenceServer(ReferenceOptions(variants=frozenset({"connection-close"}))) as server:
        connection = connect(server)
        connection.request("GET", "/api/v0/conversations")
        response = connection.getresponse()
        response.read()
        assert response.getheader("Connection") == "close"
        assert connection.sock is None, "the client saw the server close the connection"


def test_a_body_over_kestrels_limit_is_413_unread_and_the_connection_closes(server: ReferenceServer) -> None:
    head = (
        "POST /api/v0/conversations/bob HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {MAX_REQUEST_BODY + 1}\r\n\r\n"
    )
    answer = raw(server, head.encode() + b'"only the start of it')
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b"Connection: close" in answer
    assert stored(server, "bob") == []


def test_a_body_at_the_limit_is_accepted_and_stored_once(server: ReferenceServer) -> None:
    text = "x" * (MAX_REQUEST_BODY - 2)  # with its two quotes: exactly the limit
    response = requests.post(f"{server.base_url}/conversations/bob", json=text, timeout=60)
    assert response.status_code == 201
    assert [len(message) for message in stored(server, "bob")] == [len(text)]


def test_a_chunked_body_over_the_limit_is_413_too(server: ReferenceServer) -> None:
    chunk = b"x" * 1_000_000
    chunks = [b'"', *[chunk] * 31, b'"']
    response = requests.post(
        f"{server.base_url}/conversations/bob", data=iter(chunks), headers=JSON, timeout=60
    )
    assert response.status_code == 413
    assert stored(server, "bob") == []


def test_a_chunked_body_within_the_limit_is_read_whole(server: ReferenceServer) -> None:
    response = requests.post(
        f"{server.base_url}/conversations/bob", data=iter([b'"hel', b'lo"']), headers=JSON, timeout=10
    )
    assert response.status_code == 201
    assert stored(server, "bob") == ["hello"]


@pytest.mark.parametrize("path", ["/conversations/bob", "/session"])
def test_json_nested_too_deep_to_parse_is_400_not_500(server: ReferenceServer, path: str) -> None:
    deep = "[" * 100_000 + "]" * 100_000  # System.Text.Json stops at depth 64: binds as null
    response = requests.post(f"{server.base_url}{path}", data=deep, headers=JSON, timeout=30)
    assert response.status_code == 400
    assert stored(server, "bob") == []


@pytest.mark.parametrize(
    "framing",
    ["Content-Length: ten\r\n\r\n", "Transfer-Encoding: chunked\r\n\r\nzz\r\n"],
    ids=["content-length", "chunk-size"],
)
def test_a_body_whose_length_is_not_a_number_is_400_and_the_connection_closes(
    server: ReferenceServer, framing: str
) -> None:
    answer = raw(server, f"POST /api/v0/conversations/bob HTTP/1.1\r\nHost: x\r\n{framing}".encode())
    assert answer.startswith(b"HTTP/1.1 400 ")
    assert stored(server, "bob") == []

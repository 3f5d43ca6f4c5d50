"""Connecting within the request's deadline (issue 21): one deadline for all of a request's
connection attempts, not a whole --timeout for each address its host name resolves to.

A host name with several addresses (`localhost` is ::1 and 127.0.0.1; a DNS name can have
many A and AAAA records) is tried address by address. Each address here is a black hole (a
listener whose backlog is full, so the kernel drops the SYN), and the name resolves to three
of them through a patched resolver: before, the request failed after three timeouts.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
import requests

from conformance.transport.policy import Profile, WritePolicy
from conformance.transport.session import GuardedSession
from tests.servers.fake_slskd import FakeSlskd
from tests.servers.local import LocalServer, black_hole

NAME = "slskd.test"  # a reserved name (RFC 2606): it resolves only through `resolving`
TIMEOUT = 1.0


@pytest.fixture
def resolving(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, list[str]]]:
    """`resolving[NAME] = ["127.0.0.1", …]`: the addresses NAME resolves to, in order."""
    addresses: dict[str, list[str]] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host: str, port: object, *args: object, **kwargs: object) -> list:
        if host not in addresses:
            return real(host, port, *args, **kwargs)  # type: ignore[arg-type]
        tcp = (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "")
        return [(*tcp, (address, port)) for address in addresses[host]]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield addresses


def session_for(root: str) -> GuardedSession:
    return GuardedSession(WritePolicy.for_target(Profile.READ_ONLY, (), root), timeout=TIMEOUT)


def test_three_addresses_that_never_answer_take_one_timeout_not_three(
    resolving: dict[str, list[str]],
) -> None:
    with black_hole() as port, session_for(f"http://{NAME}:{port}") as session:
        resolving[NAME] = ["127.0.0.1"] * 3
        started = time.monotonic()
        with pytest.raises(requests.ConnectTimeout):
            session.get(f"http://{NAME}:{port}/api/v0/session/enabled")
        elapsed = time.monotonic() - started
    assert 0.9 * TIMEOUT < elapsed < 2 * TIMEOUT, f"{elapsed:.2f} s: each attempt had the whole timeout?"


def test_an_address_that_refuses_still_leaves_the_next_one_its_turn(resolving: dict[str, list[str]]) -> None:
    with LocalServer(FakeSlskd(api_key=None).handler) as target:
        port = target.url.rsplit(":", 1)[1]
        resolving[NAME] = ["127.0.0.2", "127.0.0.1"]  # nothing listens on 127.0.0.2: refused at once
        with session_for(f"http://{NAME}:{port}") as session:
            assert session.get(f"http://{NAME}:{port}/api/v0/session/enabled").status_code == 200

"""An outside check of realism: the third-party client `slskd_api` (PyPI slskd-api) against the
reference server, in the slskd behaviour.

The client was written against real slskd, so what works here is evidence the reference
speaks slskd's dialect. Where the client itself is at fault, the test says so and pins
the fault instead of hiding it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
import slskd_api

from conformance.reference import ReferenceOptions, ReferenceServer

KEY = "client-test-key-0123456789"


@pytest.fixture
def server() -> Iterator[ReferenceServer]:
    options = ReferenceOptions(behaviour="slskd", api_key=KEY, web_username="admin", web_password="s3cret-pw")
    with ReferenceServer(options) as server:
        yield server


@pytest.fixture
def client(server: ReferenceServer) -> slskd_api.SlskdClient:
    return slskd_api.SlskdClient(server.url, api_key=KEY)


def test_the_client_sends_lists_and_reads_conversations(client: slskd_api.SlskdClient) -> None:
    conversations = client.conversations
    assert conversations.send("echo-peer", "hello") is True
    assert conversations.get_all() == [
        {
            "username": "echo-peer",
            "isActive": True,
            "unAcknowledgedMessageCount": 1,
            "hasUnAcknowledgedMessages": True,
        }
    ]
    conversation = conversations.get("echo-peer")
    assert [m["message"] for m in conversation["messages"]] == ["hello", "echo: hello"]
    # get_messages also sends a stray ?username=…, which slskd (and the reference) ignore
    [incoming] = conversations.get_messages("echo-peer", unAcknowledgedOnly=True)
    assert (incoming["direction"], incoming["message"]) == ("In", "echo: hello")


def test_the_client_spells_booleans_the_python_way_and_they_still_bind(client: slskd_api.SlskdClient) -> None:
    client.conversations.send("alice", "hi")
    assert "messages" not in client.conversations.get(
        "alice", includeMessages=False
    )  # ?includeMessages=False


def test_the_client_acknowledges_and_closes(client: slskd_api.SlskdClient) -> None:
    # slskd-api 0.2.4 returns response.ok here; older releases called response.json() on these
    # empty bodies and raised (source-notes §7). An empty 200/204 is what slskd answers.
    conversations = client.conversations
    conversations.send("echo-peer", "hello")
    [incoming] = conversations.get_messages("echo-peer", unAcknowledgedOnly=True)
    assert conversations.acknowledge("echo-peer", incoming["id"]) is True
    assert conversations.acknowledge_all("echo-peer") is True
    assert conversations.delete("echo-peer") is True
    assert conversations.get_all(includeInactive=True)[0]["isActive"] is False


def test_the_client_raises_for_an_unknown_conversation(client: slskd_api.SlskdClient) -> None:
    with pytest.raises(requests.HTTPError) as raised:
        client.conversations.get("nobody")
    assert raised.value.response.status_code == 404


def test_the_client_cannot_address_a_username_with_a_slash(client: slskd_api.SlskdClient) -> None:
    """A client bug: it quotes usernames with `/` kept safe, so `a/b` becomes two path segments.

    POST /conversations/a/b matches only the acknowledge-one route (PUT), hence 405; slskd has
    decoded `a%2Fb` correctly since 0.24.2, so an encoding client would have succeeded.
    """
    with pytest.raises(requests.HTTPError) as raised:
        client.conversations.send("a/b", "hi")
    assert raised.value.response.status_code == 405


def test_the_client_logs_in_with_the_web_credentials(server: ReferenceServer) -> None:
    client = slskd_api.SlskdClient(server.url, username="admin", password="s3cret-pw")
    assert client.session.auth_valid() is True
    assert client.application.version() == "0.26.0"
    assert client.conversations.get_all() == []

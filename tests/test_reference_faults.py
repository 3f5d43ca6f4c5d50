"""Each seeded fault of the reference server, shown by what a client observes.

A row is a scenario (a few calls, ending in one observation) and the observation the
fault produces; the faithful server must observe something else, so every row proves
its fault is switched on where it claims to be and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
from test_reference import KEY, Api, Serve, serve  # noqa: F401  (serve is a fixture)

from conformance.reference.faults import FAULTS

Scenario = Callable[[Api], Any]
EFFECTS: dict[str, tuple[Scenario, Any]] = {}


def effect(fault: str, observed: Any) -> Callable[[Scenario], Scenario]:
    """Register: with `fault` switched on, `scenario` observes `observed`."""

    def register(scenario: Scenario) -> Scenario:
        EFFECTS[fault] = (scenario, observed)
        return scenario

    return register


def unread(api: Api, username: str) -> list[str]:
    return [m["message"] for m in api.messages(username, unAcknowledgedOnly="true").json()]


def only_item(api: Api, **query: str) -> dict[str, Any]:
    [item] = api.list(**query).json()
    return item


def first_message(api: Api, username: str = "alice") -> dict[str, Any]:
    return api.messages(username).json()[0]


# --- statuses ---------------------------------------------------------------------------------
@effect("list-status-201", 201)
def list_status(api: Api) -> int:
    return api.list().status_code


@effect("get-unknown-200", 200)
def get_unknown(api: Api) -> int:
    return api.get("nobody").status_code


@effect("messages-unknown-empty", (200, []))
def messages_unknown(api: Api) -> tuple[int, Any]:
    response = api.messages("nobody")
    return response.status_code, response.json() if response.content else None


@effect("send-status-200", 200)
def send_status(api: Api) -> int:
    return api.send("alice").status_code


@effect("send-empty-accepted", (201, [""]))
def send_empty(api: Api) -> tuple[int, list[str] | None]:
    status = api.send("alice", "").status_code
    return status, api.texts("alice") if api.get("alice").ok else None


@effect("send-non-string-500", 500)
def send_number(api: Api) -> int:
    return api.send("alice", 5).status_code


@effect("ack-one-unknown-200", 200)
def ack_one_unknown(api: Api) -> int:
    return api.ack("nobody", 1).status_code


@effect("ack-all-unknown-200", 200)
def ack_all_unknown(api: Api) -> int:
    return api.ack_all("nobody").status_code


@effect("close-unknown-204", 204)
def close_unknown(api: Api) -> int:
    return api.close("nobody").status_code


# --- shapes -----------------------------------------------------------------------------------
@effect("field-renamed", ["username", "active", "unAcknowledgedMessageCount", "hasUnAcknowledgedMessages"])
def conversation_fields(api: Api) -> list[str]:
    api.send("alice")
    return list(only_item(api))


@effect("field-missing", ["timestamp", "id", "username", "direction", "message", "wasReplayed"])
def message_fields(api: Api) -> list[str]:
    api.send("alice")
    return list(first_message(api))


@effect("field-mistyped", "1")
def count_type(api: Api) -> Any:
    api.send("echo-peer")
    return only_item(api)["unAcknowledgedMessageCount"]


@effect("field-null", None)
def list_item_messages(api: Api) -> Any:
    api.send("alice")
    return only_item(api).get("messages", "absent")


@effect("enum-lowercase", "out")
def direction(api: Api) -> str:
    api.send("alice")
    return first_message(api)["direction"]


@effect("timestamp-no-zone", False)
def timestamp_zone(api: Api) -> bool:
    api.send("alice")
    return first_message(api)["timestamp"].endswith("Z")


@effect("timestamp-offset", "+02:00")
def timestamp_offset(api: Api) -> str:
    """The same instant as local time: the suffix shows it, the instant does not change."""
    api.send("alice")
    return first_message(api)["timestamp"][-6:]


@effect("wrong-content-type", "text/plain; charset=utf-8")
def content_type(api: Api) -> str:
    return api.list().headers["Content-Type"]


@effect("error-body-problem", ("application/problem+json; charset=utf-8", "Not Found"))
def not_found_body(api: Api) -> tuple[str | None, str | None]:
    response = api.get("nobody")
    return response.headers.get("Content-Type"), response.json()["title"] if response.content else None


# --- reads ------------------------------------------------------------------------------------
@effect("list-ignores-unack-filter", ["alice"])
def list_unacknowledged_only(api: Api) -> list[str]:
    api.send("alice")
    return api.usernames(unAcknowledgedOnly="true")


@effect("list-inverts-inactive", (["bob"], ["alice"]))
def list_activity(api: Api) -> tuple[list[str], list[str]]:
    api.send("alice")
    api.send("bob")
    api.close("bob")
    return api.usernames(), api.usernames(includeInactive="true")


@effect("list-unsorted", ["b", "a"])
def list_order(api: Api) -> list[str]:
    api.send("a")
    api.send("b")
    return api.usernames()


@effect("list-includes-messages", True)
def list_messages(api: Api) -> bool:
    api.send("alice")
    return "messages" in only_item(api)


@effect("messages-ignore-unack-filter", ["ping", "echo: ping"])
def messages_unacknowledged_only(api: Api) -> list[str]:
    api.send("echo-peer", "ping")
    return unread(api, "echo-peer")


@effect("messages-unordered", (["2", "1"], ["2", "1"]))
def message_order(api: Api) -> tuple[list[str], list[str]]:
    api.send("alice", "1")
    api.send("alice", "2")
    return api.texts("alice"), [m["message"] for m in api.conversation("alice")["messages"]]


@effect("window-101", 101)
def window(api: Api) -> int:
    for n in range(101):
        api.send("alice", str(n))
    return len(api.texts("alice"))


@effect("count-off-by-one", 2)
def count(api: Api) -> int:
    api.send("echo-peer")
    return only_item(api)["unAcknowledgedMessageCount"]


@effect("has-unack-wrong", False)
def has_unacknowledged(api: Api) -> bool:
    api.send("echo-peer")
    return only_item(api)["hasUnAcknowledgedMessages"]


@effect("get-ignores-include-messages", True)
def get_without_messages(api: Api) -> bool:
    api.send("alice")
    return "messages" in api.conversation("alice", includeMessages="false")


# --- writes -----------------------------------------------------------------------------------
@effect("ack-one-lost", (200, ["echo: ping"]))
def ack_one(api: Api) -> tuple[int, list[str]]:
    api.send("echo-peer", "ping")
    [incoming] = api.incoming_ids("echo-peer")
    return api.ack("echo-peer", incoming).status_code, unread(api, "echo-peer")


@effect("ack-one-wrong-message", ["echo: two"])
def ack_one_of_two(api: Api) -> list[str]:
    api.send("echo-peer", "one")
    api.send("echo-peer", "two")
    api.ack("echo-peer", api.incoming_ids("echo-peer")[1])
    return unread(api, "echo-peer")


@effect("ack-all-wrong-user", ["echo: ping"])
def ack_all(api: Api) -> list[str]:
    api.send("alice")  # alphabetically first: the wrong user the fault acknowledges instead
    api.send("echo-peer", "ping")
    api.ack_all("echo-peer")
    return unread(api, "echo-peer")


@effect("ack-one-any-conversation", [])
def ack_one_elsewhere(api: Api) -> list[str]:
    api.send("alice")
    api.send("echo-peer", "ping")
    api.ack("alice", api.incoming_ids("echo-peer")[0])  # alice has no such message
    return unread(api, "echo-peer")


@effect("close-case-insensitive", False)
def close_one_of_two_cases(api: Api) -> bool:
    api.send("Alice")
    api.send("alice")
    api.close("alice")
    return api.conversation("Alice")["isActive"]


@effect("close-deletes", 404)
def close_then_read(api: Api) -> int:
    api.send("alice")
    api.close("alice")
    return api.get("alice").status_code


@effect("close-no-ack", 1)
def close_acknowledges(api: Api) -> int:
    api.send("echo-peer")
    api.close("echo-peer")
    return api.conversation("echo-peer")["unAcknowledgedMessageCount"]


@effect("close-stays-active", True)
def close_deactivates(api: Api) -> bool:
    api.send("alice")
    api.close("alice")
    return api.conversation("alice")["isActive"]


@effect("out-message-unacked", False)
def out_acknowledged(api: Api) -> bool:
    api.send("alice")
    return first_message(api)["isAcknowledged"]


@effect("send-no-reactivate", False)
def send_reactivates(api: Api) -> bool:
    api.send("alice")
    api.close("alice")
    api.send("alice")
    return api.conversation("alice")["isActive"]


@effect("recv-acknowledged", True)
def incoming_acknowledged(api: Api) -> bool:
    api.send("echo-peer")
    return api.messages("echo-peer").json()[1]["isAcknowledged"]


@effect("truncate-long-text", 65_534)
def long_text(api: Api) -> int:
    """70,000 bytes of "é": cut at byte 65,535, inside a character, which is dropped."""
    api.send("alice", "é" * 35_000)
    return len(first_message(api)["message"].encode("utf-8"))


@effect("truncate-incoming-text", 4_096)
def long_reply(api: Api) -> int:
    """The echo peer answers "echo: " and the 5,000 characters it was sent: cut at 4,096."""
    api.send("echo-peer", "é" * 5_000)
    return len(api.messages("echo-peer").json()[1]["message"])


# --- usernames --------------------------------------------------------------------------------
@effect("username-case-insensitive", 200)
def other_case(api: Api) -> int:
    api.send("alice")
    return api.get("ALICE").status_code


@effect("unicode-username-500", 500)
def unicode_username(api: Api) -> int:
    return api.send("zoë").status_code


@effect("url-decode-plus", ["a b"])
def plus_in_username(api: Api) -> list[str]:
    api.http.post(f"{api.base}/conversations/a+b", json="x")
    return api.usernames()


@effect("normalise-username-nfkc", ["Zoë", "file"])
def normalised_username(api: Api) -> list[str]:
    api.send("\ufb01le")  # the ligature ﬁ
    api.send("Zoe\u0308")  # a combining diaeresis
    return api.usernames()


@effect("strip-username-spaces", ["outer"])
def stripped_username(api: Api) -> list[str]:
    api.send(" outer ")
    return api.usernames()


@effect("collapse-username-spaces", ["in ner"])
def collapsed_username(api: Api) -> list[str]:
    api.send("in  ner")
    return api.usernames()


# --- protocol ---------------------------------------------------------------------------------
def without_key(method: str, *parts: str | int, **body: Any) -> Scenario:
    """Alice's conversation exists; the status of one request to it sent with no key."""

    def scenario(api: Api) -> int:
        api.send("alice")
        return requests.request(method, api.url(*parts), **body).status_code

    return scenario


for _fault, (_method, _parts, _status) in {
    "auth-bypass-list": ("GET", (), 200),
    "auth-bypass-get": ("GET", ("alice",), 200),
    "auth-bypass-messages": ("GET", ("alice", "messages"), 200),
    "auth-bypass-send": ("POST", ("alice",), 201),
    "auth-bypass-ack-one": ("PUT", ("alice", 999), 404),  # past authentication: no message 999
    "auth-bypass-ack-all": ("PUT", ("alice",), 200),
    "auth-bypass-close": ("DELETE", ("alice",), 204),
}.items():
    _body = {"json": "no key"} if _method == "POST" else {}
    effect(_fault, _status)(without_key(_method, *_parts, **_body))


@effect("wrong-key-accepted", 200)
def wrong_key(api: Api) -> int:
    return requests.get(api.url(), headers={"X-API-Key": "not-the-key"}).status_code


@effect("non-json-accepted", 201)
def plain_text_send(api: Api) -> int:
    return api.http.post(api.url("alice"), data=b"hi", headers={"Content-Type": "text/plain"}).status_code


# --- the table --------------------------------------------------------------------------------
def test_every_fault_has_a_description_and_an_effect_shown_here() -> None:
    # the Searches faults' effects are shown in tests/test_reference_searches.py; each Transfers
    # and Users and Rooms faults' in tests/test_mutants.py, whose run of the suite fails on it and
    # not on the faithful server (Rooms': tests/test_reference_rooms.py too)
    shown_elsewhere = ("search-", "transfer-", "users-", "room-")
    assert set(EFFECTS) == {fault for fault in FAULTS if not fault.startswith(shown_elsewhere)}
    assert all(description.strip() for description in FAULTS.values())


@pytest.mark.parametrize("fault", sorted(EFFECTS))
def test_the_fault_changes_what_a_client_observes(serve: Serve, fault: str) -> None:  # noqa: F811
    scenario, observed = EFFECTS[fault]
    assert scenario(serve(api_key=KEY, faults=frozenset({fault}))) == observed
    assert scenario(serve(api_key=KEY)) != observed, "the faithful server observes the same"

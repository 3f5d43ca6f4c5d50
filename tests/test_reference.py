"""The reference slskd, read as a specification: what each operation answers, in both behaviours.

Every test talks HTTP to a real server on 127.0.0.1. `documented` is the default
behaviour; tests of `slskd` say so. The seeded faults are in test_reference_faults.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from typing import Any
from urllib.parse import quote

import pytest
import requests
from werkzeug.test import Client

from conformance.reference import ReferenceOptions, ReferenceServer, create_app
from conformance.reference.clock import MonotonicClock, format_timestamp

KEY = "reference-test-key-0123456789"
READONLY_KEY = "reference-readonly-key-98765"
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{0,5}[1-9])?Z")
MESSAGE_FIELDS = ["timestamp", "id", "username", "direction", "message", "isAcknowledged", "wasReplayed"]
NOT_LOGGED_IN = "The server connection must be connected and logged in to {} (currently: Disconnected)"


class Api:
    """The seven Conversations operations over HTTP, usernames percent-encoded whole."""

    def __init__(self, server: ReferenceServer, headers: dict[str, str] | None = None) -> None:
        self.server = server
        self.base = server.base_url
        self.http = requests.Session()
        self.http.headers.update(headers or {})

    def url(self, *parts: str | int) -> str:
        return "/".join([f"{self.base}/conversations", *(quote(str(p), safe="") for p in parts)])

    def list(self, **query: str) -> requests.Response:
        return self.http.get(self.url(), params=query)

    def get(self, username: str, **query: str) -> requests.Response:
        return self.http.get(self.url(username), params=query)

    def messages(self, username: str, **query: str) -> requests.Response:
        return self.http.get(self.url(username, "messages"), params=query)

    def send(self, username: str, text: Any = "hello") -> requests.Response:
        return self.http.post(self.url(username), json=text)

    def ack(self, username: str, message_id: int | str) -> requests.Response:
        return self.http.put(self.url(username, message_id))

    def ack_all(self, username: str) -> requests.Response:
        return self.http.put(self.url(username))

    def close(self, username: str) -> requests.Response:
        return self.http.delete(self.url(username))

    # --- reading the state back -----------------------------------------------------------
    def conversation(self, username: str, **query: str) -> dict[str, Any]:
        response = self.get(username, **query)
        assert response.status_code == 200, response.status_code
        return response.json()

    def texts(self, username: str) -> list[str]:
        return [m["message"] for m in self.messages(username).json()]

    def usernames(self, **query: str) -> list[str]:
        return [c["username"] for c in self.list(**query).json()]

    def incoming_ids(self, username: str) -> list[int]:
        return [m["id"] for m in self.messages(username).json() if m["direction"] == "In"]


Serve = Callable[..., Api]


@pytest.fixture
def serve() -> Iterator[Serve]:
    """Start a reference server with these options; it stops when the test ends."""
    with ExitStack() as stack:

        def start(**options: Any) -> Api:
            headers = {"X-API-Key": options["api_key"]} if options.get("api_key") else {}
            return Api(stack.enter_context(ReferenceServer(ReferenceOptions(**options))), headers)

        yield start


@pytest.fixture
def api(serve: Serve) -> Api:
    return serve()


@pytest.fixture
def slskd(serve: Serve) -> Api:
    return serve(behaviour="slskd")


def assert_empty(response: requests.Response, status: int) -> None:
    assert response.status_code == status
    assert response.content == b""
    assert "Content-Type" not in response.headers


# --- shapes -----------------------------------------------------------------------------------
def test_the_list_starts_empty_and_is_served_as_json(api: Api) -> None:
    response = api.list()
    assert response.status_code == 200
    assert response.json() == []
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert response.headers["api-supported-versions"] == "0"


def test_a_send_stores_an_acknowledged_out_message_with_id_0(api: Api) -> None:
    assert_empty(api.send("alice", "hi there"), 201)
    conversation = api.conversation("alice")
    assert list(conversation) == [
        "username",
        "isActive",
        "unAcknowledgedMessageCount",
        "hasUnAcknowledgedMessages",
        "messages",
    ]
    assert conversation["isActive"] is True
    assert conversation["unAcknowledgedMessageCount"] == 0
    [message] = conversation["messages"]
    assert list(message) == MESSAGE_FIELDS
    assert TIMESTAMP.fullmatch(message["timestamp"])
    assert message | {"timestamp": None} == {
        "timestamp": None,
        "id": 0,
        "username": "alice",
        "direction": "Out",
        "message": "hi there",
        "isAcknowledged": True,
        "wasReplayed": False,
    }


def test_messages_are_left_out_of_list_items_and_of_get_without_messages(api: Api) -> None:
    api.send("alice")
    assert "messages" not in api.list().json()[0]
    assert "messages" not in api.conversation("alice", includeMessages="false")
    assert api.conversation("alice", includeMessages="true")["messages"]


def test_timestamps_are_utc_with_trailing_fractional_zeros_trimmed() -> None:
    assert format_timestamp(0) == "1970-01-01T00:00:00Z"
    assert format_timestamp(1_500_000) == "1970-01-01T00:00:01.5Z"
    assert format_timestamp(1_000_001) == "1970-01-01T00:00:01.000001Z"


def test_the_clock_never_repeats_a_timestamp() -> None:
    clock = MonotonicClock(after=2**62)  # far in the future: every reading must be nudged
    readings = [clock.now() for _ in range(1000)]
    assert readings == sorted(set(readings))
    assert readings[0] == 2**62 + 1


def test_the_app_also_serves_in_process_without_a_socket() -> None:
    response = Client(create_app()).get("/api/v0/conversations")
    assert response.status_code == 200
    assert response.get_json() == []


# --- routing ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "path", ["/api/v0/nothing", "/api/v1/conversations", "/api/v0/conversations/u/1/2", "/"]
)
def test_unknown_paths_answer_404_with_an_empty_body(api: Api, path: str) -> None:
    assert_empty(api.http.get(api.server.url + path), 404)


def test_literal_path_segments_match_in_any_case_and_a_trailing_slash_is_ignored(api: Api) -> None:
    assert api.http.get(f"{api.server.url}/API/V0/Conversations/").status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PATCH", "/conversations/u", "DELETE, GET, POST, PUT"),
        ("POST", "/conversations", "GET"),
        ("DELETE", "/conversations/u/5", "PUT"),
        ("POST", "/conversations/u/messages", "GET, PUT"),
    ],
)
def test_a_wrong_method_answers_405_with_the_allowed_ones(
    api: Api, method: str, path: str, allow: str
) -> None:
    response = api.http.request(method, api.base + path)
    assert_empty(response, 405)
    assert response.headers["Allow"] == allow


def test_put_on_the_messages_segment_is_acknowledge_one_with_the_id_messages(serve: Serve) -> None:
    documented, slskd = serve(), serve(behaviour="slskd")
    assert documented.http.put(documented.url("u", "messages")).status_code == 400  # not an int32
    assert slskd.http.put(slskd.url("u", "messages")).status_code == 200  # id 0, no such message


# --- usernames --------------------------------------------------------------------------------
TRICKY_USERNAMES = ["a/b", "with space", "plus+sign", "100%", "what?", "#hash", "ünïcødé 猫", "a%2Fb"]


@pytest.mark.parametrize("username", TRICKY_USERNAMES)
def test_usernames_round_trip_through_the_raw_path_segment(api: Api, username: str) -> None:
    assert api.send(username, "x").status_code == 201
    assert api.usernames() == [username]
    assert api.conversation(username)["username"] == username
    assert api.texts(username) == ["x"]


def test_a_username_segment_is_decoded_once_and_plus_stays_plus(api: Api) -> None:
    api.http.post(f"{api.base}/conversations/a%252Fb+c", json="x")
    assert api.usernames() == ["a%2Fb+c"]


def test_usernames_are_case_sensitive(api: Api) -> None:
    api.send("Alice", "upper")
    api.send("alice", "lower")
    assert api.usernames() == ["Alice", "alice"]
    assert api.texts("alice") == ["lower"]
    assert api.get("ALICE").status_code == 404


def test_the_list_is_ordered_by_username_in_ordinal_order(api: Api) -> None:
    for username in ["b", "é", "B", "a", "_"]:
        api.send(username)
    assert api.usernames() == ["B", "_", "a", "b", "é"]


# --- sending ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "body",
    [b'""', b"null", b"5", b"{}", b"[]", b"true", b"not json", b""],
    ids=["empty-string", "null", "number", "object", "array", "boolean", "invalid", "no-body"],
)
def test_a_body_that_is_not_a_non_empty_json_string_is_400_and_stores_nothing(api: Api, body: bytes) -> None:
    response = api.http.post(api.url("alice"), data=body, headers={"Content-Type": "application/json"})
    assert_empty(response, 400)
    assert api.get("alice").status_code == 404


@pytest.mark.parametrize("text", ["   ", "ünïcødé 猫 🎉", "line\nbreak", "x" * 10_000])
def test_any_non_empty_text_is_stored_unchanged(api: Api, text: str) -> None:
    assert api.send("alice", text).status_code == 201
    assert api.texts("alice") == [text]


def test_a_json_subtype_content_type_is_accepted(api: Api) -> None:
    response = api.http.post(
        api.url("alice"), data=b'"hi"', headers={"Content-Type": "application/vnd.x+json"}
    )
    assert response.status_code == 201


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "text/json"])
def test_a_non_json_content_type_is_415_and_stores_nothing(api: Api, content_type: str) -> None:
    response = api.http.post(api.url("alice"), data=b'"hi"', headers={"Content-Type": content_type})
    assert_empty(response, 415)
    assert api.get("alice").status_code == 404


def test_a_post_without_content_type_is_415(api: Api) -> None:
    assert_empty(api.http.post(api.url("alice"), data=b'"hi"'), 415)


def test_a_send_reactivates_a_closed_conversation(api: Api) -> None:
    api.send("alice")
    api.close("alice")
    api.send("alice")
    assert api.conversation("alice")["isActive"] is True


# --- the echo peer: incoming messages ---------------------------------------------------------
def test_an_echo_peer_answers_before_the_201_with_an_unacknowledged_incoming_message(api: Api) -> None:
    assert api.send("echo-peer", "ping").status_code == 201
    out, reply = api.messages("echo-peer").json()
    assert (out["direction"], out["id"], out["message"]) == ("Out", 0, "ping")
    assert reply["direction"] == "In"
    assert reply["message"] == "echo: ping"
    assert reply["id"] > 0
    assert (reply["isAcknowledged"], reply["wasReplayed"]) == (False, False)
    assert reply["timestamp"] > out["timestamp"]
    assert api.conversation("echo-peer", includeMessages="false")["unAcknowledgedMessageCount"] == 1


def test_echo_replies_get_distinct_increasing_ids(serve: Serve) -> None:
    api = serve(echo_peers=("echo-1", "echo-2"))
    for peer in ["echo-1", "echo-2", "echo-1"]:
        api.send(peer)
    assert api.incoming_ids("echo-1") + api.incoming_ids("echo-2") == [1, 3, 2]


def test_concurrent_sends_are_each_stored_whole_with_their_echo_right_after(api: Api) -> None:
    def send_many(worker: int) -> None:
        session = requests.Session()
        for n in range(20):
            assert session.post(api.url("echo-peer"), json=f"{worker}-{n}").status_code == 201

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(send_many, range(8)))
    texts = [m["message"] for m in api.http.get(api.url("echo-peer")).json()["messages"]]
    assert len(texts) == 100  # the window over 320 stored messages
    assert texts[1::2] == [f"echo: {text}" for text in texts[::2]]
    assert len(set(api.incoming_ids("echo-peer"))) == 50


# --- reading: the window and the three counts -------------------------------------------------
def test_reads_show_the_latest_100_messages_oldest_first(api: Api) -> None:
    for n in range(105):
        api.send("alice", f"m{n}")
    texts = api.texts("alice")
    assert texts == [f"m{n}" for n in range(5, 105)]
    assert [m["message"] for m in api.conversation("alice")["messages"]] == texts


def test_the_unacknowledged_count_depends_on_how_the_conversation_is_read(api: Api) -> None:
    for _ in range(101):  # 101 acknowledged Out + 101 unacknowledged In, alternating
        api.send("echo-peer")
    [listed] = api.list().json()
    assert listed["unAcknowledgedMessageCount"] == 101  # all of them
    assert (
        api.conversation("echo-peer", includeMessages="false")["unAcknowledgedMessageCount"] == 100
    )  # capped
    assert api.conversation("echo-peer")["unAcknowledgedMessageCount"] == 50  # within the 100 shown


def test_unacknowledged_only_filters_the_list_and_the_messages(api: Api) -> None:
    api.send("alice")
    api.send("echo-peer", "ping")
    assert api.usernames(unAcknowledgedOnly="true") == ["echo-peer"]
    assert [m["message"] for m in api.messages("echo-peer", unAcknowledgedOnly="true").json()] == [
        "echo: ping"
    ]


def test_the_default_list_holds_only_active_conversations(api: Api) -> None:
    api.send("alice")
    api.send("bob")
    api.close("bob")
    assert api.usernames() == ["alice"]
    assert api.usernames(includeInactive="true") == ["alice", "bob"]


def test_query_keys_and_boolean_values_are_case_insensitive(api: Api) -> None:
    api.send("bob")
    api.close("bob")
    assert api.usernames(INCLUDEINACTIVE="True") == ["bob"]


@pytest.mark.parametrize("operation", ["get", "messages"])
def test_reading_an_unknown_conversation_is_404(api: Api, operation: str) -> None:
    assert_empty(getattr(api, operation)("nobody"), 404)


# --- acknowledging and closing (documented) ---------------------------------------------------
def test_acknowledging_one_message_marks_exactly_that_one(api: Api) -> None:
    api.send("echo-peer", "one")
    api.send("echo-peer", "two")
    first, second = api.incoming_ids("echo-peer")
    assert_empty(api.ack("echo-peer", first), 200)
    unread = [m["id"] for m in api.messages("echo-peer", unAcknowledgedOnly="true").json()]
    assert unread == [second]


def test_acknowledging_a_shared_id_acknowledges_every_message_with_it(api: Api) -> None:
    api.send("alice", "one")
    api.send("alice", "two")
    assert_empty(api.ack("alice", 0), 200)


@pytest.mark.parametrize(("username", "message_id"), [("nobody", 0), ("alice", 12345)])
def test_acknowledging_an_unknown_message_is_404(api: Api, username: str, message_id: int) -> None:
    api.send("alice")
    assert_empty(api.ack(username, message_id), 404)


def test_acknowledging_all_touches_only_that_user_and_keeps_it_active(serve: Serve) -> None:
    api = serve(echo_peers=("echo-1", "echo-2"))
    api.send("echo-1")
    api.send("echo-2")
    assert_empty(api.ack_all("echo-1"), 200)
    counts = {c["username"]: c["unAcknowledgedMessageCount"] for c in api.list().json()}
    assert counts == {"echo-1": 0, "echo-2": 1}
    assert api.conversation("echo-1")["isActive"] is True


def test_closing_acknowledges_everything_and_deactivates_but_deletes_nothing(api: Api) -> None:
    api.send("echo-peer", "ping")
    assert_empty(api.close("echo-peer"), 204)
    conversation = api.conversation("echo-peer")
    assert conversation["isActive"] is False
    assert conversation["unAcknowledgedMessageCount"] == 0
    assert [m["message"] for m in conversation["messages"]] == ["ping", "echo: ping"]
    assert all(m["isAcknowledged"] for m in conversation["messages"])


@pytest.mark.parametrize("operation", ["ack_all", "close"])
def test_acknowledging_all_or_closing_an_unknown_conversation_is_404(api: Api, operation: str) -> None:
    assert_empty(getattr(api, operation)("nobody"), 404)


@pytest.mark.parametrize(
    "query", [{"includeInactive": "maybe"}, {"unAcknowledgedOnly": "1"}, {"includeInactive": ""}]
)
def test_documented_binding_refuses_an_unparsable_boolean(api: Api, query: dict[str, str]) -> None:
    assert_empty(api.list(**query), 400)


@pytest.mark.parametrize("message_id", ["abc", "99999999999", "1.5"])
def test_documented_binding_refuses_an_id_that_is_not_an_int32(api: Api, message_id: str) -> None:
    api.send("alice")
    assert_empty(api.ack("alice", message_id), 400)


def test_documented_behaviour_has_no_blacklist(api: Api) -> None:
    assert api.send("blacklisted-peer").status_code == 201


def test_documented_behaviour_refuses_a_whitespace_username_with_400(api: Api) -> None:
    assert_empty(api.send(" "), 400)
    assert api.get(" ").status_code == 404


# --- the slskd behaviour: real slskd's quirks -------------------------------------------------
def test_slskd_never_answers_404_to_acknowledge_or_close(slskd: Api) -> None:
    assert_empty(slskd.ack("nobody", 1), 200)
    assert_empty(slskd.ack_all("nobody"), 200)
    assert_empty(slskd.close("nobody"), 204)
    assert slskd.get("nobody").status_code == 404  # and nothing was created


def test_slskd_answers_500_to_an_id_shared_by_several_messages(slskd: Api) -> None:
    slskd.send("alice", "one")
    assert slskd.ack("alice", 0).status_code == 200  # a single match is fine
    slskd.send("alice", "two")
    response = slskd.ack("alice", 0)
    assert response.status_code == 500
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert response.json() == "Sequence contains more than one element."


def test_slskd_falls_back_to_the_default_for_unparsable_values(slskd: Api) -> None:
    slskd.send("bob")
    slskd.close("bob")
    assert slskd.list(includeInactive="maybe").json() == []  # includeInactive=false
    slskd.send("alice", "only one")
    assert slskd.ack("alice", "abc").status_code == 200  # id 0


def test_slskd_answers_200_and_does_nothing_for_a_blacklisted_user(slskd: Api) -> None:
    assert_empty(slskd.send("blacklisted-peer"), 200)
    assert_empty(slskd.send("blacklisted-peer", ""), 200)  # the blacklist is checked first
    assert slskd.get("blacklisted-peer").status_code == 404


def test_slskd_answers_500_to_a_whitespace_username_after_creating_the_conversation(slskd: Api) -> None:
    response = slskd.send(" ")
    assert response.status_code == 500
    assert "must not be a null or empty string" in response.json()
    assert slskd.conversation(" ")["messages"] == []


def test_slskd_still_refuses_non_json_with_415(slskd: Api) -> None:
    assert_empty(slskd.http.post(slskd.url("alice"), data=b"hi", headers={"Content-Type": "text/plain"}), 415)


# --- not logged in to Soulseek ----------------------------------------------------------------
@pytest.mark.parametrize("behaviour", ["documented", "slskd"])
def test_a_send_while_logged_out_is_500_but_the_conversation_exists(serve: Serve, behaviour: str) -> None:
    api = serve(behaviour=behaviour, logged_in=False)
    response = api.send("alice")
    assert response.status_code == 500
    assert response.json() == NOT_LOGGED_IN.format("send a private message")
    assert api.conversation("alice")["messages"] == []
    assert api.http.get(f"{api.base}/server").json()["state"] == "Disconnected"


@pytest.mark.parametrize("behaviour", ["documented", "slskd"])
def test_acknowledging_while_logged_out_is_500_and_changes_nothing(serve: Serve, behaviour: str) -> None:
    api = serve(behaviour=behaviour)
    api.send("echo-peer")
    [incoming] = api.incoming_ids("echo-peer")
    api.server.logged_in = False
    for response in (api.ack("echo-peer", incoming), api.ack_all("echo-peer"), api.close("echo-peer")):
        assert response.status_code == 500
        assert response.json() == NOT_LOGGED_IN.format("acknowledge private messages")
    conversation = api.conversation("echo-peer")
    assert (conversation["isActive"], conversation["unAcknowledgedMessageCount"]) == (True, 1)


def test_closing_with_nothing_to_acknowledge_needs_no_login(serve: Serve) -> None:
    api = serve()
    api.send("alice")
    api.server.logged_in = False
    assert api.close("alice").status_code == 204


# --- authentication ---------------------------------------------------------------------------
@pytest.fixture
def secured(serve: Serve) -> Api:
    return serve(api_key=KEY, readonly_api_key=READONLY_KEY, web_username="admin", web_password="s3cret-pw")


@pytest.mark.parametrize("headers", [{}, {"X-API-Key": "wrong"}, {"Authorization": f"Bearer {KEY}"}])
def test_missing_or_wrong_credentials_are_401_with_an_empty_body(
    secured: Api, headers: dict[str, str]
) -> None:
    response = requests.get(secured.url(), headers=headers)
    assert_empty(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_refused_write_has_no_effect(secured: Api) -> None:
    assert requests.post(secured.url("alice"), json="x").status_code == 401
    assert secured.get("alice").status_code == 404


def test_the_read_only_key_can_write_because_slskd_checks_no_role(secured: Api) -> None:
    readonly = Api(secured.server, {"X-API-Key": READONLY_KEY})
    assert readonly.send("alice").status_code == 201
    assert readonly.ack_all("alice").status_code == 200
    assert readonly.close("alice").status_code == 204


def test_415_comes_before_401(secured: Api) -> None:
    assert_empty(requests.get(secured.url(), headers={"Content-Type": "text/plain"}), 415)
    assert requests.post(secured.url("alice"), data=b'"x"').status_code == 401  # no Content-Type: after auth


def test_a_jwt_from_the_web_login_authenticates(secured: Api) -> None:
    login = requests.post(f"{secured.base}/session", json={"username": "admin", "password": "s3cret-pw"})
    assert login.status_code == 200
    token = login.json()
    assert list(token) == ["expires", "issued", "name", "notBefore", "token", "tokenType"]
    assert (token["name"], token["tokenType"]) == ("admin", "Bearer")
    assert token["expires"] - token["issued"] == 7 * 24 * 3600
    bearer = {"Authorization": f"Bearer {token['token']}"}
    assert requests.get(secured.url(), headers=bearer).status_code == 200
    assert requests.get(f"{secured.base}/session", headers=bearer).status_code == 200
    tampered = {"Authorization": f"Bearer {token['token'][:-2]}xx"}
    response = requests.get(secured.url(), headers=tampered)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


@pytest.mark.parametrize(
    ("body", "status"),
    [({"username": "admin", "password": "wrong"}, 401), ({"username": "admin"}, 400), ("admin", 400)],
)
def test_a_failed_login_is_401_or_400(secured: Api, body: Any, status: int) -> None:
    assert requests.post(f"{secured.base}/session", json=body).status_code == status


def test_session_endpoints_tell_whether_authentication_is_on(secured: Api, api: Api) -> None:
    assert requests.get(f"{secured.base}/session/enabled").json() is True
    assert requests.get(f"{secured.base}/session").status_code == 401
    assert requests.get(f"{api.base}/session/enabled").json() is False
    assert requests.get(f"{api.base}/session").status_code == 200  # anonymous administrator


def test_version_application_and_server_state(serve: Serve) -> None:
    api = serve(api_key=KEY, version="0.25.1")
    assert api.http.get(f"{api.base}/application/version").json() == "0.25.1"
    assert api.http.get(f"{api.base}/application").json()["version"]["current"] == "0.25.1"
    server = api.http.get(f"{api.base}/server").json()
    assert (server["isConnected"], server["isLoggedIn"], server["state"]) == (
        True,
        True,
        "Connected, LoggedIn",
    )
    assert requests.get(f"{api.base}/server").status_code == 401


# --- options ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"behaviour": "strict"}, "unknown behaviour"),
        ({"faults": frozenset({"no-such-fault"})}, "known faults: ack-all-unknown-200"),
        ({"api_key": ""}, "api_key must not be empty"),
        ({"web_username": "admin"}, "go together"),
    ],
)
def test_invalid_options_are_refused(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ReferenceOptions(**options)

"""The conversations model reads like slskd's documentation: these tests are that description."""

from __future__ import annotations

from conformance.apis.conversations.model import (
    WINDOW,
    ConversationsModel,
    Direction,
    Message,
    Summary,
)


def out(text: str) -> Message:
    return Message(0, Direction.OUT, text, True)


def incoming(id: int, text: str, acknowledged: bool = False) -> Message:
    return Message(id, Direction.IN, text, acknowledged)


def test_sending_creates_an_active_conversation_with_an_acknowledged_outgoing_message() -> None:
    model = ConversationsModel()
    assert model.send("alice", "hi") == 201
    assert model.messages("alice") == [out("hi")]
    assert model.listing() == [Summary("alice", True, 0)]


def test_a_send_while_not_logged_in_fails_but_opens_or_reopens_the_conversation_empty() -> None:
    model = ConversationsModel()
    assert model.send("alice", "hi", logged_in=False) == 500
    assert model.messages("alice") == []
    model.close("alice")
    model.send("alice", "again", logged_in=False)
    assert model.listing() == [Summary("alice", True, 0)]


def test_receiving_stores_an_unacknowledged_incoming_message() -> None:
    model = ConversationsModel()
    model.receive("alice", 7, "hello")
    assert model.messages("alice") == [incoming(7, "hello")]
    assert model.summary("alice", include_messages=True) == Summary("alice", True, 1)


def test_acknowledging_one_id_marks_only_the_messages_with_that_id() -> None:
    model = ConversationsModel()
    model.receive("alice", 7, "one")
    model.receive("alice", 8, "two")
    assert model.acknowledge("alice", 7) == 200
    assert model.messages("alice", unacknowledged_only=True) == [incoming(8, "two")]


def test_acknowledging_an_id_that_outgoing_messages_share_acknowledges_them_all() -> None:
    model = ConversationsModel()
    model.send("alice", "a")
    model.send("alice", "b")
    assert model.sharing("alice", 0) == 2
    assert model.acknowledge("alice", 0) == 200


def test_acknowledging_unknown_usernames_or_ids_is_404() -> None:
    model = ConversationsModel()
    model.receive("alice", 7, "one")
    assert model.acknowledge("bob", 7) == 404
    assert model.acknowledge("alice", 8) == 404
    assert model.acknowledge("alice", 0) == 404  # no outgoing message yet
    assert model.acknowledge_all("bob") == 404
    assert model.close("bob") == 404


def test_acknowledging_all_clears_the_count_and_keeps_the_conversation_active() -> None:
    model = ConversationsModel()
    model.receive("alice", 7, "one")
    model.receive("alice", 8, "two")
    assert model.acknowledge_all("alice") == 200
    assert model.listing(unacknowledged_only=True) == []
    assert model.listing() == [Summary("alice", True, 0)]


def test_closing_acknowledges_everything_and_hides_the_conversation_but_keeps_it_readable() -> None:
    model = ConversationsModel()
    model.send("alice", "hi")
    model.receive("alice", 7, "hello")
    assert model.close("alice") == 204
    assert model.listing() == []
    assert model.listing(include_inactive=True) == [Summary("alice", False, 0)]
    assert model.messages("alice") == [out("hi"), incoming(7, "hello", acknowledged=True)]


def test_sending_or_receiving_reopens_a_closed_conversation() -> None:
    model = ConversationsModel()
    model.send("alice", "hi")
    model.send("bob", "hi")
    model.close("alice")
    model.close("bob")
    model.send("alice", "again")
    model.receive("bob", 9, "back")
    assert [s.username for s in model.listing()] == ["alice", "bob"]


def test_the_list_is_ordered_by_username_ordinally_and_filters_combine() -> None:
    model = ConversationsModel()
    for username in ("bob", "Zoë", "alice", "Alice"):
        model.send(username, "hi")
    model.receive("bob", 1, "unread")
    model.receive("alice", 2, "unread")
    model.close("alice")  # closing acknowledges: alice has nothing unread any more
    assert [s.username for s in model.listing()] == ["Alice", "Zoë", "bob"]
    assert [s.username for s in model.listing(include_inactive=True)] == ["Alice", "Zoë", "alice", "bob"]
    assert [s.username for s in model.listing(unacknowledged_only=True)] == ["bob"]
    assert [s.username for s in model.listing(include_inactive=True, unacknowledged_only=True)] == ["bob"]


def test_usernames_are_case_sensitive() -> None:
    model = ConversationsModel()
    model.send("Alice", "hi")
    assert model.messages("alice") is None
    assert model.summary("alice", include_messages=False) is None


def test_reads_of_an_unknown_conversation_are_404() -> None:
    model = ConversationsModel()
    assert model.summary("nobody", include_messages=True) is None
    assert model.messages("nobody") is None


def test_reads_show_the_latest_100_messages_and_counts_depend_on_the_read() -> None:
    model = ConversationsModel()
    for id in range(1, WINDOW + 6):
        model.receive("alice", id, f"m{id}")
    window = model.messages("alice")
    assert window is not None and len(window) == WINDOW
    assert window[0].id == 6 and window[-1].id == WINDOW + 5
    assert model.listing()[0].unacknowledged == WINDOW + 5  # the list counts everything
    assert model.summary("alice", include_messages=False) == Summary("alice", True, WINDOW)  # capped
    assert model.summary("alice", include_messages=True) == Summary("alice", True, WINDOW)  # the window


def test_adopting_a_short_history_derives_the_count_from_the_messages() -> None:
    model = ConversationsModel()
    model.adopt("peer", active=False, window=[incoming(3, "x")], unacknowledged=5)
    conversation = model.get("peer")
    assert conversation is not None and conversation.complete
    assert model.listing(include_inactive=True) == [Summary("peer", False, 1)]


def test_adopting_a_full_window_remembers_the_unread_messages_it_cannot_see() -> None:
    model = ConversationsModel()
    window = [incoming(id, "x", acknowledged=True) for id in range(WINDOW)]
    model.adopt("peer", active=True, window=window, unacknowledged=4)
    conversation = model.get("peer")
    assert conversation is not None and not conversation.complete
    assert model.listing() == [Summary("peer", True, 4)]
    model.acknowledge_all("peer")
    assert model.listing() == [Summary("peer", True, 0)]

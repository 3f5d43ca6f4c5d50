"""A model of slskd's conversations: what the server holds, and what each call should answer.

Pure Python, no HTTP: the state machine (`conformance.checks.stateful`) drives the server
and this model side by side and compares them. Each method is one sentence of slskd's
behaviour (shared/slskd/behaviour.md) as the documentation promises it:

- a conversation is a username, an active flag and its messages, in the order they arrived;
- sending creates or reactivates the conversation and stores an acknowledged `Out`
  message with id 0; receiving stores an unacknowledged `In` message and reactivates it;
- acknowledging marks messages acknowledged and leaves the active flag alone; closing
  acknowledges everything and marks the conversation inactive, deleting nothing;
- reads show at most the latest 100 messages, and the documented answer to a call about a
  conversation (or message) that does not exist is 404.

The server keeps state across examples and a live one has conversations we did not make,
so the model can `adopt` what the server shows before predicting anything about it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

WINDOW = 100  # slskd returns the latest 100 messages of a conversation, oldest first
OUTGOING_ID = 0  # slskd stores every outgoing message with id 0

OK, CREATED, NO_CONTENT, NOT_FOUND, SERVER_ERROR = 200, 201, 204, 404, 500


class Direction(StrEnum):
    IN = "In"
    OUT = "Out"


@dataclass(frozen=True)
class Message:
    """One stored private message, as far as a client can tell messages apart."""

    id: int
    direction: Direction
    text: str
    acknowledged: bool


@dataclass(frozen=True)
class Summary:
    """A conversation as the list (and GET without messages) shows it."""

    username: str
    active: bool
    unacknowledged: int


@dataclass
class Conversation:
    username: str
    active: bool = True
    messages: list[Message] = field(default_factory=list)
    # Unacknowledged messages older than the window the model adopted: it never saw them,
    # but the list counts them, and acknowledging all clears them.
    earlier_unacknowledged: int = 0

    @property
    def window(self) -> list[Message]:
        return self.messages[-WINDOW:]

    @property
    def complete(self) -> bool:
        """Whether the model knows every message (so an id it does not know is unknown)."""
        return self.earlier_unacknowledged == 0 and len(self.messages) < WINDOW

    @property
    def unacknowledged(self) -> int:
        return self.earlier_unacknowledged + sum(not m.acknowledged for m in self.messages)

    def acknowledge(self, id: int | None = None) -> None:
        """Mark acknowledged the messages with `id`, or every message when `id` is None."""
        self.messages = [
            Message(m.id, m.direction, m.text, True) if id is None or m.id == id else m for m in self.messages
        ]
        if id is None:
            self.earlier_unacknowledged = 0


class ConversationsModel:
    """slskd's conversations store, as the documentation describes it."""

    def __init__(self) -> None:
        self._conversations: dict[str, Conversation] = {}

    # --- what the model knows -------------------------------------------------------------
    def get(self, username: str) -> Conversation | None:
        return self._conversations.get(username)

    @property
    def usernames(self) -> tuple[str, ...]:
        return tuple(sorted(self._conversations))

    def ids(self, username: str, direction: Direction | None = None) -> tuple[int, ...]:
        """The ids of the messages (of one direction) the model knows for `username`, each once."""
        conversation = self.get(username)
        messages = conversation.messages if conversation else []
        return tuple(dict.fromkeys(m.id for m in messages if direction in (None, m.direction)))

    def sharing(self, username: str, id: int) -> int:
        """How many known messages of `username` carry `id` (outgoing ones all share 0)."""
        conversation = self.get(username)
        return sum(m.id == id for m in conversation.messages) if conversation else 0

    def holds_unacknowledged(self, username: str, id: int) -> bool:
        """Whether `username` has a known message with `id` that is not acknowledged yet."""
        conversation = self.get(username)
        return conversation is not None and any(
            m.id == id and not m.acknowledged for m in conversation.messages
        )

    def adopt(
        self,
        username: str,
        *,
        active: bool,
        window: Iterable[Message],
        unacknowledged: int,
    ) -> None:
        """Take over a conversation as the server shows it: its latest messages, its count.

        Below a full window the messages are all there is, so the count follows from them;
        only a full window can hide older unacknowledged messages.
        """
        messages = list(window)[-WINDOW:]
        hidden = 0
        if len(messages) == WINDOW:
            hidden = max(0, unacknowledged - sum(not m.acknowledged for m in messages))
        self._conversations[username] = Conversation(username, active, messages, hidden)

    def forget(self, username: str) -> None:
        """The conversation does not exist (or the model no longer vouches for it)."""
        self._conversations.pop(username, None)

    # --- writes: their effect, and the status the documentation promises ------------------
    def send(self, username: str, text: str, *, logged_in: bool = True) -> int:
        """POST: create or reactivate, store an acknowledged Out message with id 0 → 201.

        Not logged in to Soulseek, the send itself fails (500, slskd's design) after the
        conversation was created or reactivated: it stays active, with no message stored."""
        conversation = self._conversations.setdefault(username, Conversation(username))
        conversation.active = True
        if not logged_in:
            return SERVER_ERROR
        conversation.messages.append(Message(OUTGOING_ID, Direction.OUT, text, True))
        return CREATED

    def receive(self, username: str, id: int, text: str) -> None:
        """A peer's message arrives: stored unacknowledged as In, the conversation reactivated."""
        conversation = self._conversations.setdefault(username, Conversation(username))
        conversation.active = True
        conversation.messages.append(Message(id, Direction.IN, text, False))

    def acknowledge(self, username: str, id: int) -> int:
        """PUT {username}/{id}: the messages with that id become acknowledged → 200, else 404."""
        conversation = self.get(username)
        if conversation is None or not self.sharing(username, id):
            return NOT_FOUND
        conversation.acknowledge(id)
        return OK

    def acknowledge_all(self, username: str) -> int:
        """PUT {username}: every message of that user becomes acknowledged → 200, else 404."""
        conversation = self.get(username)
        if conversation is None:
            return NOT_FOUND
        conversation.acknowledge()
        return OK

    def close(self, username: str) -> int:
        """DELETE {username}: acknowledge everything, mark inactive, keep messages → 204, else 404."""
        conversation = self.get(username)
        if conversation is None:
            return NOT_FOUND
        conversation.acknowledge()
        conversation.active = False
        return NO_CONTENT

    def close_answers(self, username: str) -> tuple[int, ...]:
        """The statuses the docs allow DELETE {username} to answer: 404 for an unknown user,
        204 for an active conversation, either for a closed one (CONV-CLOSE-204's readings:
        "Not Found" does not say whether a closed conversation is found)."""
        conversation = self.get(username)
        if conversation is None:
            return (NOT_FOUND,)
        return (NO_CONTENT,) if conversation.active else (NO_CONTENT, NOT_FOUND)

    # --- reads: the answer the documentation promises (None: 404) -------------------------
    def listing(self, *, include_inactive: bool = False, unacknowledged_only: bool = False) -> list[Summary]:
        """GET /conversations: ordered by username; counts over all messages."""
        return [
            Summary(c.username, c.active, c.unacknowledged)
            for c in sorted(self._conversations.values(), key=lambda c: c.username)
            if (c.active or include_inactive) and (c.unacknowledged or not unacknowledged_only)
        ]

    def summary(self, username: str, *, include_messages: bool) -> Summary | None:
        """GET /conversations/{username}: the count over the 100-message window when the
        messages are loaded, over all messages (capped at 100) when they are not."""
        conversation = self.get(username)
        if conversation is None:
            return None
        if include_messages:
            count = sum(not m.acknowledged for m in conversation.window)
        else:
            count = min(conversation.unacknowledged, WINDOW)
        return Summary(username, conversation.active, count)

    def messages(self, username: str, *, unacknowledged_only: bool = False) -> list[Message] | None:
        """GET /conversations/{username}/messages: the latest 100, oldest first, maybe filtered."""
        conversation = self.get(username)
        if conversation is None:
            return None
        return [m for m in conversation.window if not (unacknowledged_only and m.acknowledged)]

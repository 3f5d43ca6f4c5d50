"""The seven Conversations operations, branch by branch, in every behaviour.

`slskd` reproduces slskd 0.26.0 as its code behaves (shared/slskd/source-notes.md §4):
acknowledge-one, acknowledge-all and close never answer 404 because the controller tests
an un-awaited Task against null; acknowledging an id several messages share throws
(500); unparsable query or route values fall back to their defaults; a send to a
blacklisted user answers 200 and does nothing.

`documented` keeps slskd's facts where the documentation is silent and its promises where
it speaks: the three 404s are real, a shared id acknowledges every message that has it,
unparsable values are 400 and there is no blacklist. A whitespace-only username, which
slskd answers with 500, is a 400 that stores nothing: the documentation lists 400 for a
send it cannot perform and no 5xx at all.

`intended` is slskd with its lookups awaited (see `options.Traits`): the three 404s are
real, and closing a conversation that is already closed is 404 as well.

Every operation holds the store's lock for its whole length, so concurrent requests see
each other's effects whole, never half-applied.
"""

from __future__ import annotations

import json
import re
import time
import unicodedata

from conformance.reference.clock import MonotonicClock
from conformance.reference.network import Incoming, SoulseekNetwork
from conformance.reference.options import ReferenceOptions
from conformance.reference.shapes import Shapes
from conformance.reference.store import IN, OUT, Store, StoredMessage
from conformance.reference.variants import Representation
from conformance.reference.wire import (
    HttpError,
    Reply,
    Request,
    decode_segment,
    is_json_media_type,
    parse_bool,
    parse_int32,
)

WINDOW = 100  # slskd reads the latest 100 messages of a conversation
TEXT_COLUMN_BYTES = 65_535  # the truncate-long-text fault: a MySQL TEXT column
INCOMING_BUFFER = 4_096  # the truncate-incoming-text fault: characters a client library reads of a message
OK, CREATED, NO_CONTENT = Reply(200), Reply(201), Reply(204)
BAD_REQUEST, NOT_FOUND = 400, 404


class DuplicateMatch(Exception):
    """LINQ's SingleOrDefault over several rows: slskd's acknowledge-one when an id is shared."""

    def __init__(self) -> None:
        super().__init__("Sequence contains more than one element.")


class ConversationsApi:
    def __init__(
        self,
        options: ReferenceOptions,
        store: Store,
        network: SoulseekNetwork,
        clock: MonotonicClock,
        representation: Representation | None = None,
    ) -> None:
        self.store = store
        self.network = network
        self.clock = clock
        representation = representation or Representation(options.variants)
        self.shapes = Shapes(options.faults, representation)
        self.whole_second_incoming = representation.whole_second_incoming
        self.traits = options.traits
        self.faults = options.faults
        self.window = WINDOW + 1 if "window-101" in options.faults else WINDOW
        self.blacklist = frozenset(options.blacklist) if self.traits.blacklist else frozenset()

    # --- binding ---------------------------------------------------------------------------
    def username(self, request: Request) -> str:
        """The `{username}` route value: the raw segment, percent-decoded once."""
        username = decode_segment(request.params["username"], plus_as_space="url-decode-plus" in self.faults)
        if "unicode-username-500" in self.faults:
            username.encode("ascii")  # raises UnicodeEncodeError for any non-ASCII name
        if "normalise-username-nfkc" in self.faults:
            username = unicodedata.normalize("NFKC", username)
        if "strip-username-spaces" in self.faults:
            username = username.strip()
        if "collapse-username-spaces" in self.faults:
            username = re.sub(r"\s{2,}", " ", username)
        return username

    def flag(self, request: Request, name: str, default: bool) -> bool:
        text = request.query.get(name.lower())
        if text is None:
            return default
        value = parse_bool(text)
        if value is None and not self.traits.lenient_binding:
            raise HttpError(BAD_REQUEST)
        return default if value is None else value

    def message_id(self, request: Request) -> int:
        value = parse_int32(decode_segment(request.params["id"]))
        if value is None and not self.traits.lenient_binding:
            raise HttpError(BAD_REQUEST)
        return 0 if value is None else value

    def message_body(self, request: Request) -> str | None:
        """The `[FromBody] string`: a JSON string literal, anything else binds as null."""
        content_type = request.header("Content-Type") or ""
        if not is_json_media_type(content_type):  # only reachable with the non-json-accepted fault
            return request.body.decode("utf-8", "replace")
        try:
            value = json.loads(request.body.decode("utf-8-sig"))
        except (ValueError, RecursionError):  # System.Text.Json refuses depth > 64: binds as null
            return None
        if isinstance(value, str):
            return value if _encodable(value) else None
        if value is not None and "send-non-string-500" in self.faults:
            raise TypeError(
                "The JSON value could not be converted to System.String. Path: $ | LineNumber: 0 | "
                f"BytePositionInLine: {len(request.body)}."
            )
        return None

    # --- reads -----------------------------------------------------------------------------
    def list_conversations(self, request: Request) -> Reply:
        include_inactive = self.flag(request, "includeInactive", False)
        unacknowledged_only = self.flag(request, "unAcknowledgedOnly", False)
        with self.store.lock:
            rows = self.store.conversations()
            if "list-inverts-inactive" in self.faults:
                rows = [row for row in rows if row.active == include_inactive]
            elif not include_inactive:
                rows = [row for row in rows if row.active]
            if unacknowledged_only and "list-ignores-unack-filter" not in self.faults:
                rows = [row for row in rows if row.unacknowledged > 0]
            if "list-unsorted" in self.faults:
                rows.reverse()
            with_messages = "list-includes-messages" in self.faults
            items = [
                self.shapes.conversation(
                    row.username,
                    row.active,
                    row.unacknowledged,
                    self._read(row.username) if with_messages else None,
                )
                for row in rows
            ]
        return Reply.json(items, 201 if "list-status-201" in self.faults else 200)

    def get_conversation(self, request: Request) -> Reply:
        username = self.username(request)
        include_messages = self.flag(request, "includeMessages", True)
        with self.store.lock:
            found = self.store.conversation(username)
            if found is None:
                if "get-unknown-200" in self.faults:
                    return Reply.json(self.shapes.conversation(username, False, 0, None))
                raise HttpError(NOT_FOUND)
            stored_name, active = found
            if include_messages or "get-ignores-include-messages" in self.faults:
                window = self.store.latest_messages(username, self.window)
                unacknowledged = sum(not m.acknowledged for m in window)  # counted within the window
                return Reply.json(
                    self.shapes.conversation(stored_name, active, unacknowledged, self._ordered(window))
                )
            unacknowledged = min(self.store.unacknowledged_count(username), self.window)
            return Reply.json(self.shapes.conversation(stored_name, active, unacknowledged, None))

    def messages(self, request: Request) -> Reply:
        username = self.username(request)
        unacknowledged_only = self.flag(request, "unAcknowledgedOnly", False)
        with self.store.lock:
            if self.store.conversation(username) is None:
                if "messages-unknown-empty" in self.faults:
                    return Reply.json([])
                raise HttpError(NOT_FOUND)
            window = self._read(username)
        if unacknowledged_only and "messages-ignore-unack-filter" not in self.faults:
            window = [m for m in window if not m.acknowledged]
        return Reply.json([self.shapes.message(m) for m in window])

    def _read(self, username: str) -> list[StoredMessage]:
        return self._ordered(self.store.latest_messages(username, self.window))

    def _ordered(self, window: list[StoredMessage]) -> list[StoredMessage]:
        """Oldest first, as stored; newest first with the messages-unordered fault."""
        return window[::-1] if "messages-unordered" in self.faults else window

    # --- writes ----------------------------------------------------------------------------
    def send(self, request: Request) -> Reply:
        username = self.username(request)
        message = self.message_body(request)
        if username in self.blacklist:
            return OK  # slskd 0.26.0: nothing sent, nothing stored, checked before the body
        if message is None or (message == "" and "send-empty-accepted" not in self.faults):
            raise HttpError(BAD_REQUEST)
        if not self.traits.server_errors and not username.strip():
            raise HttpError(BAD_REQUEST)
        with self.store.lock:
            # slskd activates before it sends: a send that fails still leaves the conversation.
            self.store.activate(username, reactivate="send-no-reactivate" not in self.faults)
            self.network.send(username, message)
            acknowledged = "out-message-unacked" not in self.faults
            stored = _column(message) if "truncate-long-text" in self.faults else message
            self.store.add_message(StoredMessage(self.clock.now(), 0, username, OUT, stored, acknowledged))
            reply = self.network.reply(username, message)
            if reply is not None:
                self.receive(reply)
        return OK if "send-status-200" in self.faults else CREATED

    def receive(self, incoming: Incoming) -> None:
        """An incoming private message, as slskd's HandleMessageAsync stores it (with the
        server's whole-second timestamp when the message came over the protocol)."""
        seconds = incoming.timestamp_s
        if seconds is None and self.whole_second_incoming:
            seconds = int(time.time())  # as the Soulseek server stamps a message it relays
        stamp = self.clock.now() if seconds is None else seconds * 1_000_000
        with self.store.lock:
            self.store.activate(incoming.username)
            acknowledged = "recv-acknowledged" in self.faults
            text = incoming.message
            if "truncate-incoming-text" in self.faults:
                text = text[:INCOMING_BUFFER]
            message = StoredMessage(
                stamp, incoming.id, incoming.username, IN, text, acknowledged, incoming.replayed
            )
            if incoming.timestamp_s is None or not self.store.replay(message):
                self.store.add_message(message)

    def acknowledge(self, request: Request) -> Reply:
        username = self.username(request)
        message_id = self.message_id(request)
        with self.store.lock:
            matches = self.store.messages_with_id(username, message_id)
            if self.traits.server_errors and len(matches) > 1:
                raise DuplicateMatch
            if not matches and "ack-one-any-conversation" in self.faults:
                self.store.acknowledge(self._anywhere(message_id))
            if not matches:
                if not self.traits.lookups_awaited or "ack-one-unknown-200" in self.faults:
                    return OK
                raise HttpError(NOT_FOUND)
            if "ack-one-wrong-message" in self.faults:
                matches = self.store.unacknowledged(username)[:1]
            for found in matches:
                self.network.acknowledge(found.id)  # slskd acks even acknowledged and outgoing ones
            if "ack-one-lost" not in self.faults:
                self.store.acknowledge(matches)
        return OK

    def acknowledge_all(self, request: Request) -> Reply:
        username = self.username(request)
        with self.store.lock:
            self._require_conversation(username, unless="ack-all-unknown-200")
            if "ack-all-wrong-user" in self.faults:
                other = self.store.first_other(username)
                if other is not None:
                    self._acknowledge_all(other)
                return OK
            self._acknowledge_all(username)
        return OK

    def close(self, request: Request) -> Reply:
        username = self.username(request)
        with self.store.lock:
            self._require_conversation(
                username, unless="close-unknown-204", active_only=self.traits.close_finds_active_only
            )
            if "close-deletes" in self.faults:
                self.store.delete(username)
                return NO_CONTENT
            if "close-no-ack" not in self.faults:
                self._acknowledge_all(username)  # a failure here leaves the conversation active
            if "close-stays-active" not in self.faults:
                self.store.deactivate(username)
            if "close-case-insensitive" in self.faults:
                for other in self._case_variants(username):
                    self._acknowledge_all(other)
                    self.store.deactivate(other)
        return NO_CONTENT

    def _anywhere(self, message_id: int) -> list[StoredMessage]:
        """The messages with this id in any conversation (the ack-one-any-conversation fault)."""
        return [
            found
            for conversation in self.store.conversations()
            for found in self.store.messages_with_id(conversation.username, message_id)
        ]

    def _case_variants(self, username: str) -> list[str]:
        """Other conversations whose username differs only in case (the close-case-insensitive fault)."""
        return [
            conversation.username
            for conversation in self.store.conversations()
            if conversation.username != username and conversation.username.casefold() == username.casefold()
        ]

    def _require_conversation(self, username: str, *, unless: str, active_only: bool = False) -> None:
        """The documented 404; slskd's un-awaited lookup (and the named fault) never gets here.

        `active_only`: the lookup sees active conversations only, so a closed one is 404 too."""
        if not self.traits.lookups_awaited or unless in self.faults:
            return
        found = self.store.conversation(username)
        if found is None or (active_only and not found[1]):
            raise HttpError(NOT_FOUND)

    def _acknowledge_all(self, username: str) -> None:
        """slskd acknowledges one by one on the network, then saves all at once."""
        pending = self.store.unacknowledged(username)
        for message in pending:
            self.network.acknowledge(message.id)
        self.store.acknowledge(pending)


def _encodable(text: str) -> bool:
    """JSON may escape lone surrogates; System.Text.Json refuses them, so they bind as null."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _column(text: str) -> str:
    """The truncate-long-text fault: what a 65,535-byte TEXT column (MySQL's) keeps of a
    message, cut on a byte and the broken character dropped."""
    return text.encode("utf-8")[:TEXT_COLUMN_BYTES].decode("utf-8", "ignore")

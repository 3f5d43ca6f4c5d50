"""Conversations and private messages in SQLite, keyed the way slskd keys them.

slskd keeps a `Conversations` table (primary key the username) and a `PrivateMessages`
table keyed by `(Username, Id, Timestamp)`: outgoing messages all have id 0, so the id
alone identifies nothing. Usernames compare with SQLite's binary `=`, so they are
case-sensitive, and `ORDER BY username` is ordinal order.

One connection serves every thread behind one re-entrant lock: an in-memory database
exists only on its connection, and opening one per request would cost more than the
queries. Callers that need several statements to be atomic hold `store.lock` around them.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import NamedTuple

IN, OUT = "In", "Out"

SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    username TEXT NOT NULL PRIMARY KEY,
    is_active INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS messages (
    username TEXT NOT NULL,
    id INTEGER NOT NULL,
    timestamp INTEGER NOT NULL,  -- microseconds since the Unix epoch, UTC
    direction TEXT NOT NULL,
    message TEXT NOT NULL,
    is_acknowledged INTEGER NOT NULL,
    was_replayed INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (username, id, timestamp)
);
CREATE INDEX IF NOT EXISTS messages_by_username ON messages (username, timestamp);
"""

MESSAGE_COLUMNS = "timestamp, id, username, direction, message, is_acknowledged, was_replayed"


class StoredMessage(NamedTuple):
    timestamp: int  # microseconds since the epoch
    id: int
    username: str  # the remote user, in both directions
    direction: str  # IN | OUT
    message: str
    acknowledged: bool
    replayed: bool = False


class StoredConversation(NamedTuple):
    username: str
    active: bool
    unacknowledged: int  # over all its messages, not a window


class Store:
    """The persistent state of one reference server."""

    def __init__(self, path: str = ":memory:", *, case_insensitive: bool = False) -> None:
        self.lock = threading.RLock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        if path != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        # The `username-case-insensitive` fault: every username comparison ignores case.
        self._collate = " COLLATE NOCASE" if case_insensitive else ""
        self._is_user = f"username = ?{self._collate}"

    def close(self) -> None:
        with self.lock:
            self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self.lock:
            self._db.execute("BEGIN")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _one(self, sql: str, *args: object) -> tuple | None:
        with self.lock:
            return self._db.execute(sql, args).fetchone()

    def _all(self, sql: str, *args: object) -> list[tuple]:
        with self.lock:
            return self._db.execute(sql, args).fetchall()

    # --- what a restart must continue from -------------------------------------------------
    def latest_timestamp(self) -> int:
        row = self._one("SELECT MAX(timestamp) FROM messages")
        return row[0] if row and row[0] is not None else 0

    def latest_incoming_id(self) -> int:
        row = self._one("SELECT MAX(id) FROM messages WHERE direction = ?", IN)
        return row[0] if row and row[0] is not None else 0

    # --- conversations ---------------------------------------------------------------------
    def conversation(self, username: str) -> tuple[str, bool] | None:
        """(stored username, is active) of the conversation with this username, if any."""
        row = self._one(f"SELECT username, is_active FROM conversations WHERE {self._is_user}", username)
        return (row[0], bool(row[1])) if row else None

    def conversations(self) -> list[StoredConversation]:
        """Every conversation, ordered by username, with its count of unacknowledged messages."""
        rows = self._all(
            "SELECT c.username, c.is_active, (SELECT COUNT(*) FROM messages m "
            f"WHERE m.username = c.username{self._collate} AND m.is_acknowledged = 0) "
            "FROM conversations c ORDER BY c.username"
        )
        return [StoredConversation(username, bool(active), count) for username, active, count in rows]

    def activate(self, username: str, *, reactivate: bool = True) -> None:
        """Create the conversation active, or mark an existing one active (slskd's ActivateConversation)."""
        with self.lock:
            if self.conversation(username) is None:
                self._db.execute("INSERT INTO conversations (username, is_active) VALUES (?, 1)", (username,))
            elif reactivate:
                self._db.execute(f"UPDATE conversations SET is_active = 1 WHERE {self._is_user}", (username,))

    def deactivate(self, username: str) -> None:
        with self.lock:
            self._db.execute(f"UPDATE conversations SET is_active = 0 WHERE {self._is_user}", (username,))

    def delete(self, username: str) -> None:
        with self._transaction() as db:
            db.execute(f"DELETE FROM messages WHERE {self._is_user}", (username,))
            db.execute(f"DELETE FROM conversations WHERE {self._is_user}", (username,))

    def first_other(self, username: str) -> str | None:
        """The alphabetically first conversation with another username."""
        row = self._one(
            f"SELECT username FROM conversations WHERE NOT {self._is_user} ORDER BY username LIMIT 1",
            username,
        )
        return row[0] if row else None

    # --- messages --------------------------------------------------------------------------
    def add_message(self, message: StoredMessage) -> None:
        with self.lock:
            self._db.execute(
                f"INSERT INTO messages ({MESSAGE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (*message[:5], int(message.acknowledged), int(message.replayed)),
            )

    def latest_messages(self, username: str, limit: int) -> list[StoredMessage]:
        """The `limit` most recent messages of a user, oldest first."""
        rows = self._all(
            f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE {self._is_user} ORDER BY timestamp DESC LIMIT ?",
            username,
            limit,
        )
        return [_message(row) for row in reversed(rows)]

    def messages_with_id(self, username: str, message_id: int) -> list[StoredMessage]:
        rows = self._all(
            f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE {self._is_user} AND id = ? ORDER BY timestamp",
            username,
            message_id,
        )
        return [_message(row) for row in rows]

    def unacknowledged(self, username: str) -> list[StoredMessage]:
        """Every unacknowledged message of a user, oldest first."""
        rows = self._all(
            f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE {self._is_user} AND is_acknowledged = 0 "
            "ORDER BY timestamp",
            username,
        )
        return [_message(row) for row in rows]

    def unacknowledged_count(self, username: str) -> int:
        row = self._one(
            f"SELECT COUNT(*) FROM messages WHERE {self._is_user} AND is_acknowledged = 0",
            username,
        )
        return row[0] if row else 0

    def replay(self, message: StoredMessage) -> bool:
        """slskd's receive of a message it already stored (same user, id and timestamp): unread
        again, with the new replayed flag; False when there is no such row."""
        with self._transaction() as db:
            updated = db.execute(
                "UPDATE messages SET is_acknowledged = 0, was_replayed = ? "
                "WHERE username = ? AND id = ? AND timestamp = ?",
                (int(message.replayed), message.username, message.id, message.timestamp),
            )
        return updated.rowcount > 0

    def acknowledge(self, messages: Iterable[StoredMessage]) -> None:
        keys = [(m.username, m.id, m.timestamp) for m in messages]
        with self._transaction() as db:
            db.executemany(
                "UPDATE messages SET is_acknowledged = 1 WHERE username = ? AND id = ? AND timestamp = ?",
                keys,
            )


def _message(row: tuple) -> StoredMessage:
    timestamp, message_id, username, direction, text, acknowledged, replayed = row
    return StoredMessage(timestamp, message_id, username, direction, text, bool(acknowledged), bool(replayed))

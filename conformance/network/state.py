"""What the simulated Soulseek network knows: accounts, sessions, peers, messages, and its records.

No I/O here: a session is anything that can take a frame and be closed, so the rules (who may
log in, where a private message goes, what is replayed at login) read and test on their own.
Every method runs on the server's one event-loop thread (see `server.py`), so nothing locks.

The rules, as the real server applies them and slskd relies on them:
- The first login with a name creates the account with that password; a later login needs the
  same password. A second login with the same name kicks the first session.
- A private message gets a server-assigned id and a whole-second Unix timestamp. It is
  delivered at once when the recipient is logged in (marked new) and stays unacknowledged until
  the recipient acknowledges its id; every unacknowledged message is delivered again at the
  recipient's next login, marked replayed (slskd's `wasReplayed`).
- A session that watches a user (WatchUser) is told that user's status (GetStatus) whenever it
  changes: at login, at logout and at SetOnlineStatus. The watch list ends with the session.
- ConnectToPeer is passed on to a logged-in user with the requester's address; a user nobody
  can reach (a simulated peer, a name not logged in) is answered with CantConnectToPeer at once,
  as the real server relays the refusal of a peer that cannot connect. A CantConnectToPeer from
  a client is relayed to the requester it names.
- Simulated peers: an echo peer answers every message once with `echo: <text>`, a silent peer
  never answers, an offline peer shows as offline and holds what it is sent.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from conformance.network import messages
from conformance.network.codec import Code
from conformance.network.messages import OFFLINE, ONLINE, PeerAddress, PrivateMessage

GREETING = "slskd-conformance simulated network: no real user is here"
NO_ADDRESS = PeerAddress("0.0.0.0", 0)  # what the server answers for a user it cannot connect anyone to


class PeerKind(StrEnum):
    ECHO = "echo"
    SILENT = "silent"
    OFFLINE = "offline"


class Session(Protocol):
    """One client connection, as the network sees it."""

    host: str
    port: int
    listen_port: int
    obfuscated_port: int  # 0: none announced
    status: int

    def deliver(self, frame: bytes) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Message:
    """A private message the network carried: who to whom, with the id and time it assigned."""

    id: int
    timestamp: int
    sender: str
    recipient: str
    text: str

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "timestamp": self.timestamp,
            "from": self.sender,
            "to": self.recipient,
            "message": self.text,
        }


@dataclass
class Account:
    password: str | None  # None: messages are waiting for a name nobody has logged in with yet
    session: Session | None = None
    sent: list[Message] = field(default_factory=list)
    delivered: list[tuple[Message, bool]] = field(default_factory=list)  # (message, replayed)
    acknowledged: list[int] = field(default_factory=list)
    unacknowledged: dict[int, Message] = field(default_factory=dict)  # by id, in arrival order
    commands: dict[int, int] = field(default_factory=dict)  # message code → how many received

    def as_json(self, username: str) -> dict[str, Any]:
        return {
            "username": username,
            "logged_in": self.session is not None,
            "sent": [m.as_json() for m in self.sent],
            "delivered": [{**m.as_json(), "replayed": replayed} for m, replayed in self.delivered],
            "acknowledged": list(self.acknowledged),
            "unacknowledged": list(self.unacknowledged),
            "commands": {str(code): count for code, count in sorted(self.commands.items())},
        }


def code_name(code: int) -> str | None:
    try:
        return Code(code).name
    except ValueError:
        return None


@dataclass
class Unimplemented:
    """A request code the network does not carry out: how often, from whom, what it answered."""

    code: int
    answer: str | None  # the refusal sent back, e.g. "CannotJoinRoom (1003)"; None: no answer
    count: int = 0
    users: set[str] = field(default_factory=set)

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": code_name(self.code),
            "count": self.count,
            "users": sorted(self.users),
            "answer": self.answer,
        }


class Network:
    def __init__(self, peers: dict[str, PeerKind], clock: Callable[[], float] = time.time) -> None:
        self.peers = dict(peers)
        self.peer_inbox: dict[str, list[Message]] = {name: [] for name in peers}
        self.accounts: dict[str, Account] = {}
        self.watchers: dict[str, set[str]] = {}  # watched username → the sessions' usernames watching it
        self.unimplemented: dict[int, Unimplemented] = {}  # by code
        self.session_listeners: list[Callable[[str], None]] = []  # told each username whose session ends
        self._clock = clock
        self._ids = itertools.count(1)

    # --- sessions ----------------------------------------------------------------------------
    def login(self, session: Session, username: str, password: str) -> str | None:
        """Log `session` in; the reason when refused. Kicks an older session of the same name.

        The caller answers the login, then calls `replay`: a client reads the answer first.
        """
        if not username.strip():
            return "INVALIDUSERNAME"
        if username in self.peers:
            return "INVALIDPASS"
        account = self.accounts.setdefault(username, Account(password))
        if account.password is None:
            account.password = password
        if account.password != password:
            return "INVALIDPASS"
        if account.session is not None:
            self._kick(username, account, push=False)  # the name stays online: no offline push
        account.session = session
        self._push_status(username)
        return None

    def replay(self, username: str) -> None:
        """Deliver every message the account has not acknowledged, marked replayed."""
        account = self.accounts[username]
        for message in list(account.unacknowledged.values()):
            self._deliver(account, message, replayed=True)

    def logout(self, session: Session) -> None:
        """The connection is gone; a session already replaced by a newer login stays replaced."""
        for username, account in self.accounts.items():
            if account.session is session:
                self._end_session(username, account, push=True)

    def kick(self, username: str) -> bool:
        account = self.accounts.get(username)
        if account is None or account.session is None:
            return False
        self._kick(username, account, push=True)
        return True

    def disconnect(self, username: str) -> bool:
        """Close the session's connection without a word, as a network failure would."""
        account = self.accounts.get(username)
        if account is None or account.session is None:
            return False
        session = account.session
        self._end_session(username, account, push=True)
        session.close()
        return True

    def _kick(self, username: str, account: Account, *, push: bool) -> None:
        session = account.session
        self._end_session(username, account, push=push)
        if session is not None:
            session.deliver(messages.kicked())
            session.close()

    def _end_session(self, username: str, account: Account, *, push: bool) -> None:
        """The session is over: its watch list goes with it; its watchers learn it is offline."""
        account.session = None
        for watching in self.watchers.values():
            watching.discard(username)
        for listener in self.session_listeners:
            listener(username)
        if push:
            self._push_status(username)

    def holds(self, username: str, session: Session) -> bool:
        """Whether `session` is still `username`'s session (a newer login or a kick ends it)."""
        account = self.accounts.get(username)
        return account is not None and account.session is session

    def record_command(self, username: str, code: int) -> None:
        commands = self.accounts[username].commands
        commands[code] = commands.get(code, 0) + 1

    def record_unimplemented(self, username: str, code: int, answer: str | None) -> bool:
        """A request the network does not carry out (`answer`: the refusal it sent, None: none).

        True the first time this user sends this code, so the caller logs it once, not per frame.
        """
        record = self.unimplemented.setdefault(code, Unimplemented(code, answer))
        record.count += 1
        first = username not in record.users
        record.users.add(username)
        return first

    # --- users ---------------------------------------------------------------------------------
    def watch(self, watcher: str, username: str) -> None:
        self.watchers.setdefault(username, set()).add(watcher)

    def unwatch(self, watcher: str, username: str) -> None:
        self.watchers.get(username, set()).discard(watcher)

    def set_status(self, username: str, status: int) -> None:
        """SetOnlineStatus: a change is pushed to the watchers; the same status again is not."""
        session = self.accounts[username].session
        if session is not None and session.status != status:
            session.status = status
            self._push_status(username)

    def _push_status(self, username: str) -> None:
        frame = messages.user_status(username, self.status(username) or OFFLINE)
        for watcher in sorted(self.watchers.get(username, ())):
            session = self.accounts[watcher].session
            if session is not None:
                session.deliver(frame)

    def status(self, username: str) -> int | None:
        """The user's presence; None when no such user exists on the network."""
        if username in self.peers:
            return OFFLINE if self.peers[username] is PeerKind.OFFLINE else ONLINE
        account = self.accounts.get(username)
        if account is None:
            return None
        return OFFLINE if account.session is None else account.session.status

    def address(self, username: str) -> PeerAddress:
        account = self.accounts.get(username)
        if account is None or account.session is None:
            return NO_ADDRESS  # simulated peers accept no peer connections
        session = account.session
        return PeerAddress(session.host, session.listen_port, session.obfuscated_port)

    # --- indirect peer connections -----------------------------------------------------------
    def connect_to_peer(self, requester: str, request: messages.PeerConnectRequest) -> None:
        target = self.accounts.get(request.username)
        if target is None or target.session is None:
            session = self.accounts[requester].session
            if session is not None:
                session.deliver(messages.cant_connect_to_peer(request.token, request.username))
            return
        where = self.address(requester)
        target.session.deliver(messages.connect_to_peer(requester, request.type, where, request.token))

    def cant_connect(self, sender: str, requester: str, token: int) -> None:
        account = self.accounts.get(requester)
        if account is not None and account.session is not None:
            account.session.deliver(messages.cant_connect_to_peer(token, sender))

    # --- private messages ----------------------------------------------------------------------
    def private_message(self, sender: str, recipient: str, text: str) -> Message:
        """A logged-in account's message: recorded, delivered or held; an echo peer answers."""
        message = self._new_message(sender, recipient, text)
        self.accounts[sender].sent.append(message)
        kind = self.peers.get(recipient)
        if kind is None:
            self._route(message)
            return message
        self.peer_inbox[recipient].append(message)
        if kind is PeerKind.ECHO:
            self._route(self._new_message(recipient, sender, f"echo: {text}"))
        return message

    def peer_sends(self, peer: str, recipient: str, text: str, count: int) -> list[int]:
        """A simulated peer sends `count` messages now (numbered when more than one)."""
        sent = []
        for n in range(1, count + 1):
            body = f"{text} ({n}/{count})" if count > 1 else text
            message = self._new_message(peer, recipient, body)
            self._route(message)
            sent.append(message.id)
        return sent

    def acknowledge(self, username: str, message_id: int) -> None:
        account = self.accounts[username]
        account.acknowledged.append(message_id)
        account.unacknowledged.pop(message_id, None)

    def _new_message(self, sender: str, recipient: str, text: str) -> Message:
        return Message(next(self._ids), int(self._clock()), sender, recipient, text)

    def _route(self, message: Message) -> None:
        """To an account: delivered now if logged in, and unacknowledged until acknowledged."""
        if message.recipient in self.peers:
            self.peer_inbox[message.recipient].append(message)
            return
        account = self.accounts.setdefault(message.recipient, Account(password=None))
        account.unacknowledged[message.id] = message
        self._deliver(account, message, replayed=False)

    def _deliver(self, account: Account, message: Message, *, replayed: bool) -> None:
        """Write the message to the account's session, if it has one (else it waits for login)."""
        if account.session is None:
            return
        account.delivered.append((message, replayed))
        account.session.deliver(
            messages.private_message(
                PrivateMessage(message.id, message.timestamp, message.sender, message.text, not replayed)
            )
        )

    # --- the control API's views ---------------------------------------------------------------
    def sessions(self) -> list[dict[str, Any]]:
        return [
            {
                "username": name,
                "address": a.session.host,
                "port": a.session.port,
                "listen_port": a.session.listen_port,
                "status": a.session.status,
            }
            for name, a in sorted(self.accounts.items())
            if a.session is not None
        ]

    def account(self, username: str) -> dict[str, Any] | None:
        account = self.accounts.get(username)
        return None if account is None else account.as_json(username)

    def unimplemented_view(self) -> list[dict[str, Any]]:
        return [record.as_json() for _, record in sorted(self.unimplemented.items())]

    def peer_view(self) -> list[dict[str, Any]]:
        return [
            {"username": name, "kind": str(kind), "received": [m.as_json() for m in self.peer_inbox[name]]}
            for name, kind in sorted(self.peers.items())
        ]

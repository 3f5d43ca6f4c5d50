"""The reference's Soulseek client, asking about users: `UsersNetwork` over the protocol.

As Soulseek.NET asks (shared/soulseek/peers-and-apis.md §1.2, §1.3, §3.3):

- a status is GetStatus (7) {username} to the server, answered {username, status, privileged}
  and matched by username (an unknown user is offline: the server answers 0);
- an endpoint is GetPeerAddress (3), its 0.0.0.0 UserOffline (`soulseek_peers._address`);
- a browse, a user info and a folder's contents go on the user's message connection
  (`soulseek_peers._message_connection`: UserOffline for an offline or unknown user, before any
  connection is tried) as BrowseRequest (4), InfoRequest (15) and FolderContentsRequest (36,
  token, directory); the answer may come on any connection from that user and is matched by
  username (BrowseResponse 5, InfoResponse 16) or by username and token
  (FolderContentsResponse 37).

Every wait for a reply is bounded by `users_timeout_s`, the simulated network's
RESPONSE_TIMEOUT_S (slskd waits 5 s, and 60 s for a browse to begin: a checker that waited that
long per silent peer would spend most of a run waiting), then SoulseekError. A connection that
closes while a reply asked on it is awaited fails that wait at once (Soulseek.NET fails a browse
whose connection drops mid-way), as does a reply that does not parse (its connection is dropped).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Hashable, Iterator
from typing import Any

from conformance.network import messages
from conformance.network.codec import Code, Frame, Payload
from conformance.network.peer_messages import PeerCode
from conformance.network.sharing import STATUS
from conformance.network.user_messages import (
    build_browse_request,
    build_folder_contents_request,
    build_info_request,
    parse_browse_response,
    parse_folder_contents_response,
    parse_info_response,
)
from conformance.peers.browsing import Directory, Shares, UserInfo
from conformance.peers.library import Presence
from conformance.reference.network import RESPONSE_TIMEOUT_S
from conformance.reference.network_errors import SoulseekError
from conformance.reference.soulseek_peers import MessageConnection
from conformance.reference.users_network import BrowseProgress, UsersNetwork

PRESENCE = {code: presence for presence, code in STATUS.items()}  # GetStatus's status, as a Presence
BROWSE_REPLY, INFO_REPLY, STATUS_REPLY = "browse", "info", "status"  # the keys besides a folder's token
_DROPPED = object()  # put in a waiter when the connection its request went on closed
# who waits for one reply: the connection the request went on (None: the server's), the waiter
_Waiting = list[tuple[MessageConnection | None, "queue.Queue[Any]"]]


class SoulseekUsers(UsersNetwork):
    """`UsersNetwork` for `SoulseekConnection`."""

    # what the SoulseekConnection it is mixed into holds
    _state: threading.Lock
    _tokens: Iterator[int]
    _require_login: Callable[[str], None]
    _send: Callable[[bytes], None]
    _address: Callable[[str], tuple[str, int]]
    _message_connection: Callable[[str], MessageConnection]

    def _init_users(self) -> None:
        self.users_timeout_s = RESPONSE_TIMEOUT_S
        self._replies: dict[tuple[str, Hashable], _Waiting] = {}  # by (username, BROWSE_REPLY | … | token)

    def user_status(self, username: str) -> tuple[Presence, bool]:
        self._require_login("get a user's status")
        status, privileged = self._ask(
            username, STATUS_REPLY, None, messages.username_request(Code.GET_STATUS, username), "status"
        )
        return PRESENCE.get(status, Presence.OFFLINE), privileged

    def user_endpoint(self, username: str) -> tuple[str, int]:
        self._require_login("get a user's address")
        return self._address(username)

    def browse(self, username: str, progress: BrowseProgress | None = None) -> Shares:
        self._require_login("browse users")
        shares, size = self._ask_peer(username, BROWSE_REPLY, build_browse_request(), "browse")
        if progress is not None:
            progress(size, size)
        return shares

    def user_info(self, username: str) -> UserInfo:
        self._require_login("request user info")
        info: UserInfo = self._ask_peer(username, INFO_REPLY, build_info_request(), "user info")
        return info

    def folder_contents(self, username: str, directory: str) -> tuple[Directory, ...]:
        self._require_login("request a folder's contents")
        token = next(self._tokens)
        request = build_folder_contents_request(token, directory)
        directories: tuple[Directory, ...] = self._ask_peer(username, token, request, "folder contents")
        return directories

    def _ask_peer(self, username: str, key: Hashable, request: bytes, what: str) -> Any:
        """`request` on the user's message connection, and the reply under `key`."""
        connection = self._message_connection(username)
        return self._ask(username, key, connection, request, what)

    def _ask(
        self, username: str, key: Hashable, connection: MessageConnection | None, request: bytes, what: str
    ) -> Any:
        """Send `request` (to the peer on `connection`, or to the server) and wait for the reply
        under (username, key): registered before the send, so a quick answer is not missed."""
        waiter: queue.Queue[Any] = queue.Queue()
        entry = (connection, waiter)
        with self._state:
            self._replies.setdefault((username, key), []).append(entry)
        try:
            if connection is None:
                self._send(request)
            else:
                try:
                    connection.send(request)
                except OSError as error:
                    raise SoulseekError(f"Failed to send the {what} request to {username}: {error}") from None
            try:
                reply = waiter.get(timeout=self.users_timeout_s)
            except queue.Empty:
                raise SoulseekError(f"The {what} request to {username} timed out") from None
        finally:
            with self._state:
                waiting = self._replies.get((username, key), [])
                if entry in waiting:
                    waiting.remove(entry)
                if not waiting:
                    self._replies.pop((username, key), None)
        if reply is _DROPPED:
            raise SoulseekError(f"The connection to {username} closed before the {what} response arrived")
        return reply

    def _reply(self, username: str, key: Hashable, value: Any) -> None:
        """A reply, to everyone waiting for it (a reply nobody waits for is dropped)."""
        with self._state:
            waiting = self._replies.pop((username, key), [])
        for _, waiter in waiting:
            waiter.put(value)

    def _status_arrived(self, payload: Payload) -> None:
        """GetStatus from the server (asked, or pushed for a watched user)."""
        username, status, privileged = messages.read_user_status(payload)
        self._reply(username, STATUS_REPLY, (status, privileged))

    def _user_message(self, connection: MessageConnection, frame: Frame) -> bool:
        """A peer's reply about itself, to its waiter; False for any other message. A reply that
        does not parse raises ProtocolError, which drops the connection (and fails its waits)."""
        username = connection.username
        if frame.code == PeerCode.BROWSE_RESPONSE:
            self._reply(username, BROWSE_REPLY, (parse_browse_response(frame.payload), len(frame.payload)))
        elif frame.code == PeerCode.INFO_RESPONSE:
            self._reply(username, INFO_REPLY, parse_info_response(frame.payload))
        elif frame.code == PeerCode.FOLDER_CONTENTS_RESPONSE:
            contents = parse_folder_contents_response(frame.payload)
            self._reply(username, contents.token, contents.directories)
        else:
            return False
        return True

    def _peer_closed(self, connection: MessageConnection) -> None:
        """Fail every wait for a reply asked on `connection`, now closed."""
        with self._state:
            failed = [
                waiter
                for waiting in self._replies.values()
                for asked_on, waiter in waiting
                if asked_on is connection
            ]
        for waiter in failed:
            waiter.put(_DROPPED)

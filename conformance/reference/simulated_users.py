"""The Users part of the in-process simulated network: the sharing peers answer from their library.

`SimulatedNetwork` mixes this in. A user the library does not know (and no echo peer) is offline
on the server, as the real server answers an unknown name, so every peer request to them is
UserOffline (slskd: 404) before any connection is tried; a peer whose `requests` is `slow` is
waited for `response_timeout_s` (the simulation's stand-in for slskd's 5 s and 60 s) and one that
`drops` closes the connection at once, both SoulseekError (slskd: 500). Echo peers are online and
answer private messages only: a peer request to one fails as a peer that never answers would,
without the wait. Nothing is recorded: a Users read changes nothing on the network.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable

from conformance.peers import browsing
from conformance.peers.browsing import Directory, Shares, UserInfo
from conformance.peers.library import Answering, Presence, SharingPeer
from conformance.reference.network_errors import SoulseekError, UserOffline
from conformance.reference.users_network import BrowseProgress, UsersNetwork

LOOPBACK = "127.0.0.1"  # every simulated peer listens on loopback
FIRST_PORT, PORTS = 20_000, 40_000  # a peer's port is drawn from its username in this range


def peer_port(username: str) -> int:
    """The port a simulated peer listens on: the same for a username on every run and machine."""
    digest = hashlib.sha256(username.encode()).digest()
    return FIRST_PORT + int.from_bytes(digest[:4], "little") % PORTS


def browse_size(shares: Shares) -> int:
    """How many bytes a browse's answer takes: a stand-in for the compressed frame's length
    (what Soulseek.NET's progress counts), fixed by what is shared."""
    directories = [d.as_json() for d in (*shares.directories, *shares.locked_directories)]
    return len(json.dumps(directories, ensure_ascii=False).encode())


class SimulatedUsers(UsersNetwork):
    """`UsersNetwork` answered in process from the library's peers (`conformance.peers.browsing`)."""

    # what the SimulatedNetwork it is mixed into holds
    logged_in: bool
    echo_peers: frozenset[str]
    response_timeout_s: float
    _peers: dict[str, SharingPeer]
    _closing: threading.Event
    _require_login: Callable[[str], None]  # SoulseekNetwork's: SoulseekError unless logged in

    def user_status(self, username: str) -> tuple[Presence, bool]:
        self._require_login("get a user's status")
        peer = self._peers.get(username)
        if peer is not None:
            return peer.presence, False
        return (Presence.ONLINE if username in self.echo_peers else Presence.OFFLINE), False

    def user_endpoint(self, username: str) -> tuple[str, int]:
        self._require_login("get a user's address")
        self._online(username)
        return LOOPBACK, peer_port(username)

    def browse(self, username: str, progress: BrowseProgress | None = None) -> Shares:
        shares = browsing.shares(self._answering(username, "browse"))
        if progress is not None:
            size = browse_size(shares)
            progress(size, size)
        return shares

    def user_info(self, username: str) -> UserInfo:
        return browsing.info(self._answering(username, "user info"))

    def folder_contents(self, username: str, directory: str) -> tuple[Directory, ...]:
        return browsing.folder_contents(self._answering(username, "folder contents"), directory)

    def _online(self, username: str) -> SharingPeer | None:
        """The library peer `username` is (None: an echo peer); UserOffline when the server
        would give the address 0.0.0.0 (offline, or nobody by that name)."""
        peer = self._peers.get(username)
        if peer is not None and peer.online:
            return peer
        if peer is None and username in self.echo_peers:
            return None
        raise UserOffline(f"User {username} appears to be offline")

    def _answering(self, username: str, request: str) -> SharingPeer:
        """The peer that answers `request`, after its connection: SoulseekError when not logged
        in, UserOffline for an offline or unknown user, SoulseekError for a peer that does not
        answer (after the timeout) or drops the connection."""
        self._require_login(f"request a {request}")
        peer = self._online(username)
        if peer is None:
            raise SoulseekError(f"User {username} does not answer a {request} request")
        if peer.requests == Answering.SLOW:
            self._closing.wait(self.response_timeout_s)
            raise SoulseekError(f"The {request} request to {username} timed out")
        if peer.requests == Answering.DROPS:
            raise SoulseekError(f"The connection to {username} closed before the {request} response arrived")
        return peer

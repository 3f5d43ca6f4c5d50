"""What the Users API asks of the Soulseek network: a user's status and address from the server,
and a browse, a user info and a folder's contents from the peer itself.

`SoulseekNetwork` has these; the simulated network answers from `conformance.peers` in process
(`simulated_users`), the real connection over the protocol (`soulseek_users`: GetStatus 7,
GetPeerAddress 3, peer messages 4/5, 15/16, 36/37). A network that has no peers to ask says so.
"""

from __future__ import annotations

from collections.abc import Callable

from conformance.peers.browsing import Directory, Shares, UserInfo
from conformance.peers.library import Presence
from conformance.reference.network_errors import SoulseekError

# A browse's progress, as Soulseek.NET reports it while the answer arrives: (bytes so far, size).
BrowseProgress = Callable[[int, int], None]


class UsersNetwork:
    """The Users part of `SoulseekNetwork`. Every call raises SoulseekError (slskd: 500) when not
    logged in, when the peer cannot be reached, does not answer in time or drops the connection;
    UserOffline (slskd: 404) when the server says the user is offline or unknown, before any
    connection is tried."""

    def user_status(self, username: str) -> tuple[Presence, bool]:
        """GetStatus (7): the user's presence and whether they are privileged. An unknown user
        is Offline, as the real server answers."""
        raise SoulseekError(f"{type(self).__name__} does not ask for a user's status")

    def user_endpoint(self, username: str) -> tuple[str, int]:
        """GetPeerAddress (3): the user's (IPv4 address, port)."""
        raise SoulseekError(f"{type(self).__name__} does not ask for a user's address")

    def browse(self, username: str, progress: BrowseProgress | None = None) -> Shares:
        """BrowseRequest (4) and the peer's BrowseResponse (5); `progress` is called as the
        answer arrives (at least once, with the whole size, before this returns)."""
        raise SoulseekError(f"{type(self).__name__} does not browse users")

    def user_info(self, username: str) -> UserInfo:
        """UserInfoRequest (15) and the peer's UserInfoResponse (16)."""
        raise SoulseekError(f"{type(self).__name__} does not ask for user info")

    def folder_contents(self, username: str, directory: str) -> tuple[Directory, ...]:
        """FolderContentsRequest (36) for `directory` and the directories of the peer's answer (37)."""
        raise SoulseekError(f"{type(self).__name__} does not ask for a folder's contents")

"""What the Soulseek client library throws, as slskd's controllers tell the kinds apart."""

from __future__ import annotations


class SoulseekError(Exception):
    """What the Soulseek client library throws; its text is the 500 body."""


class UserOffline(SoulseekError):
    """Soulseek.NET's UserOfflineException: the server gave the user's address as 0.0.0.0 (offline
    or unknown). slskd's Users controller answers it 404, where any other failure is a 500."""


class RoomForbidden(SoulseekError):
    """Soulseek.NET's RoomJoinForbiddenException: the server answered a join CannotJoinRoom (1003)."""

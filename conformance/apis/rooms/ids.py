"""Rooms' requirement ids, once: its checks name its requirements by these constants.

A misspelt constant is an AttributeError at import, where a typo in a bare string would open a
requirement nobody checks. `tests/test_reference_rooms.py` holds these equal to the catalogue.
"""

from __future__ import annotations

from enum import StrEnum


class Room(StrEnum):
    """A requirement id of the Rooms API; equal to (and hashing like) its string."""

    # MUST: the docs page
    ROOM_AVAILABLE_200 = "ROOM-AVAILABLE-200"
    ROOM_JOINED_200 = "ROOM-JOINED-200"
    ROOM_JOIN_201 = "ROOM-JOIN-201"
    ROOM_JOIN_304 = "ROOM-JOIN-304"
    ROOM_GET_200 = "ROOM-GET-200"
    ROOM_GET_404 = "ROOM-GET-404"
    ROOM_LEAVE_204 = "ROOM-LEAVE-204"
    ROOM_LEAVE_404 = "ROOM-LEAVE-404"
    ROOM_USERS_200 = "ROOM-USERS-200"
    ROOM_USERS_404 = "ROOM-USERS-404"
    ROOM_MESSAGES_200 = "ROOM-MESSAGES-200"
    ROOM_MESSAGES_404 = "ROOM-MESSAGES-404"
    ROOM_SAY_201 = "ROOM-SAY-201"
    ROOM_SAY_404 = "ROOM-SAY-404"
    ROOM_TICKER_201 = "ROOM-TICKER-201"
    ROOM_TICKER_404 = "ROOM-TICKER-404"
    ROOM_MEMBERS_201 = "ROOM-MEMBERS-201"
    ROOM_MEMBERS_404 = "ROOM-MEMBERS-404"

    # SHOULD: slskd's code
    ROOM_JOIN_REFUSED = "ROOM-JOIN-REFUSED"
    ROOM_SAY_ECHOED = "ROOM-SAY-ECHOED"
    ROOM_CHATTER = "ROOM-CHATTER"
    ROOM_MEMBERSHIP = "ROOM-MEMBERSHIP"
    ROOM_NAMES_CASE_SENSITIVE = "ROOM-NAMES-CASE-SENSITIVE"
    ROOM_SELF_FLAG = "ROOM-SELF-FLAG"
    ROOM_MESSAGES_KEPT = "ROOM-MESSAGES-KEPT"
    ROOM_AVAILABLE_LISTED = "ROOM-AVAILABLE-LISTED"

    # INFO: documentation gaps of these operations
    DOCGAP_ROOM_JOIN_200 = "DOCGAP-ROOM-JOIN-200"
    DOCGAP_ROOM_JOINED_NAMES = "DOCGAP-ROOM-JOINED-NAMES"
    DOCGAP_ROOM_JOIN_REFUSED_500 = "DOCGAP-ROOM-JOIN-REFUSED-500"

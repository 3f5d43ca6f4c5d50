"""Users' requirement ids, once: its checks name its requirements by these constants.

A misspelt constant is an AttributeError at import, where a typo in a bare string would open a
requirement nobody checks. `tests/test_reference_users.py` holds these equal to the catalogue.
"""

from __future__ import annotations

from enum import StrEnum


class User(StrEnum):
    """A requirement id of the Users API; equal to (and hashing like) its string."""

    # MUST: the docs page
    USER_BROWSE_200 = "USER-BROWSE-200"
    USER_BROWSE_404 = "USER-BROWSE-404"
    USER_BROWSE_STATUS_200 = "USER-BROWSE-STATUS-200"
    USER_BROWSE_STATUS_404 = "USER-BROWSE-STATUS-404"
    USER_DIRECTORY_200 = "USER-DIRECTORY-200"
    USER_DIRECTORY_404 = "USER-DIRECTORY-404"
    USER_ENDPOINT_200 = "USER-ENDPOINT-200"
    USER_ENDPOINT_404 = "USER-ENDPOINT-404"
    USER_INFO_200 = "USER-INFO-200"
    USER_INFO_404 = "USER-INFO-404"
    USER_STATUS_200 = "USER-STATUS-200"

    # SHOULD: slskd's code
    USER_STATUS_OFFLINE = "USER-STATUS-OFFLINE"
    USER_BROWSE_LOCKED = "USER-BROWSE-LOCKED"
    USER_FILE_NAMES = "USER-FILE-NAMES"
    USER_DIRECTORY_MISSING = "USER-DIRECTORY-MISSING"
    USER_DIRECTORY_400 = "USER-DIRECTORY-400"
    USER_PEER_500 = "USER-PEER-500"

    # INFO: documentation gaps of these operations
    DOCGAP_USER_BROWSE_OBJECT = "DOCGAP-USER-BROWSE-OBJECT"
    DOCGAP_USER_DIRECTORY_LIST = "DOCGAP-USER-DIRECTORY-LIST"
    DOCGAP_USER_BROWSE_STATUS_OBJECT = "DOCGAP-USER-BROWSE-STATUS-OBJECT"
    DOCGAP_USER_STATUSES = "DOCGAP-USER-STATUSES"

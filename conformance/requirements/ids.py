"""The requirement ids every API shares, once: checks name requirements by these constants.

A typo in a bare string would silently open a requirement nobody checks; a misspelt
constant is an AttributeError at import. Only the cross-cutting ids are here (any response,
authentication, the documentation gaps of any operation); an API's own ids are its package's
(`Api.ids`), and `tests/test_registry.py` holds the union equal to the catalogue. (The
generated `API-OP-*` requirements of the shapes-only pages are derived from the spec, see
`conformance.requirements.operations`.)
"""

from __future__ import annotations

from enum import StrEnum


class Req(StrEnum):
    """A requirement id; equal to (and hashing like) its string."""

    API_NO_SERVER_ERROR = "API-NO-SERVER-ERROR"
    API_STATUS_DOCUMENTED = "API-STATUS-DOCUMENTED"
    API_CONTENT_TYPE = "API-CONTENT-TYPE"
    API_RESPONSE_SCHEMA = "API-RESPONSE-SCHEMA"
    API_NO_NULLS = "API-NO-NULLS"
    API_EMPTY_ERROR_BODY = "API-EMPTY-ERROR-BODY"
    API_EMPTY_WRITE_BODY = "API-EMPTY-WRITE-BODY"
    API_415_NON_JSON = "API-415-NON-JSON"
    API_TIMESTAMP_UTC = "API-TIMESTAMP-UTC"
    API_ENUM_STRINGS = "API-ENUM-STRINGS"
    AUTH_MISSING_401 = "AUTH-MISSING-401"
    AUTH_WRONG_KEY_401 = "AUTH-WRONG-KEY-401"
    AUTH_READONLY_KEY_WRITES = "AUTH-READONLY-KEY-WRITES"
    DOCGAP_LENIENT_BINDING = "DOCGAP-LENIENT-BINDING"
    DOCGAP_OVERLAY_STATUS = "DOCGAP-OVERLAY-STATUS"
    DOCGAP_READING = "DOCGAP-READING"

"""The write guard: which requests a profile lets leave the process.

A conformance run against a live slskd must never message a real user by accident:
Schemathesis invents usernames, its coverage phase probes unexpected methods and its
state machine follows inferred links. The guard sits below all of them (in
`GuardedSession.send`) and judges the URL that is about to go on the wire, reading it
the way slskd does: literal route segments case-insensitively, the `{username}` segment
percent-decoded once, usernames compared exactly (slskd compares them case-sensitively).
Anything it cannot read unambiguously is blocked. The login `POST /session` passes in every
profile: it creates a token, not data, and `--username/--password` must work read-only.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from urllib.parse import unquote, urlsplit

from conformance.errors import WriteBlocked

API_PREFIX = "/api/v0"
SAFE_METHODS = frozenset({"GET", "HEAD"})
# The methods of the Conversations API's write operations (send, acknowledge, close).
CONVERSATION_WRITES = frozenset({"POST", "PUT", "DELETE"})


class Profile(StrEnum):
    """How much a run may change on its target."""

    READ_ONLY = "read-only"  # only GET and HEAD leave the process (and the login POST)
    SAFE_WRITES = "safe-writes"  # writes only to conversations with allowlisted usernames
    FULL = "full"  # anything (the embedded server, or a live target on explicit request)


def api_prefix_of(root: str) -> str:
    """The API's path prefix for a target root URL, keeping a reverse proxy's or url_base's path."""
    return urlsplit(root).path.rstrip("/") + API_PREFIX


class WritePolicy:
    """Decides, per request, whether the run's profile allows it; `check` raises `WriteBlocked`."""

    def __init__(
        self, profile: Profile, allowed_usernames: Iterable[str], api_prefix: str = API_PREFIX
    ) -> None:
        self.profile = profile
        self.allowed_usernames = frozenset(allowed_usernames)
        self._prefix = [segment.lower() for segment in api_prefix.strip("/").split("/") if segment]

    def check(self, method: str, url: str) -> None:
        method = method.upper()
        if method in SAFE_METHODS or self.profile is Profile.FULL:
            return
        path = urlsplit(url).path
        route = self._route(path)
        if method == "POST" and route is not None and [segment.lower() for segment in route] == ["session"]:
            return  # logging in (--username/--password) creates a token, not data: every profile may
        if self.profile is Profile.READ_ONLY:
            raise WriteBlocked(
                f"the read-only profile blocked {method} {path}: it sends only GET and HEAD "
                "(use --profile safe-writes with --peer USER to allow writes to chosen users)"
            )
        refusal = self._conversation_write_refusal(method, route)
        if refusal is not None:
            raise WriteBlocked(f"the safe-writes profile blocked {method} {path}: {refusal}")

    def _route(self, path: str) -> list[str] | None:
        """The decoded segments after the API prefix; None when the path is not plainly in the API."""
        segments = _decoded_segments(path)
        prefix = len(self._prefix)
        if segments is None or [segment.lower() for segment in segments[:prefix]] != self._prefix:
            return None
        return segments[prefix:]

    def _conversation_write_refusal(self, method: str, route: list[str] | None) -> str | None:
        """None when a safe-writes write is allowed, else why not (a clause of the error message)."""
        if route is None:
            return "its path is outside the API, or has empty, dot or undecodable segments"
        if (
            method not in CONVERSATION_WRITES
            or len(route) not in (2, 3)
            or route[0].lower() != "conversations"
        ):
            return "only POST, PUT and DELETE on /conversations/{username}[/{id}] are allowed"
        username = route[1]
        if username not in self.allowed_usernames:
            return f"{username!r} is not on the --peer allowlist"
        if unquote(username) != username:
            # A username that still looks percent-encoded would be read differently by anyone
            # decoding twice (a proxy, a future slskd): never guess which user that is.
            return f"{username!r} is ambiguous after percent-decoding"
        return None


def _decoded_segments(path: str) -> list[str] | None:
    """The path's segments, each percent-decoded once as slskd's username binder does.

    None for paths a server might normalise into another route: empty segments (`//`,
    trailing slashes), `.` and `..` (also percent-encoded) and invalid UTF-8.
    """
    raw = path.split("/")
    if raw[0] != "":
        return None
    try:
        segments = [unquote(segment, errors="strict") for segment in raw[1:]]
    except UnicodeDecodeError:
        return None
    if any(segment in ("", ".", "..") for segment in segments):
        return None
    return segments

"""The write guard: which requests a profile lets leave the process.

A conformance run against a live slskd must never message a real user by accident:
Schemathesis invents usernames, its coverage phase probes unexpected methods and its
state machine follows inferred links. The guard sits below all of them (in
`GuardedSession.send`) and judges the URL that is about to go on the wire, reading it
the way slskd does: literal route segments case-insensitively, the `{username}` segment
percent-decoded once, usernames compared exactly (slskd compares them case-sensitively).
Which writes the safe-writes profile may send is declared by the APIs (`WriteShape`), never
written here: the guard only reads a URL against the shapes it is given.
Anything it cannot read unambiguously is blocked. The login `POST /session` passes in every
profile: it creates a token, not data, and `--username/--password` must work read-only.

Every request, whatever its method and profile, must also go to the target's origin
(scheme, host and port): the session carries credentials (`X-API-Key`, a bearer token, a
login body), and a redirect or a generated URL must never carry them anywhere else.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

from conformance.errors import WriteBlocked

API_PREFIX = "/api/v0"
SAFE_METHODS = frozenset({"GET", "HEAD"})


class Profile(StrEnum):
    """How much a run may change on its target."""

    READ_ONLY = "read-only"  # only GET and HEAD leave the process (and the login POST)
    SAFE_WRITES = "safe-writes"  # writes only in an API's write shapes, to allowlisted usernames
    FULL = "full"  # anything (the embedded server, or a live target on explicit request)


class Origin(NamedTuple):
    """Scheme, host and port: what a browser would call the same site, and all the guard lets out."""

    scheme: str
    host: str
    port: int | None

    @classmethod
    def of(cls, url: str) -> Origin | None:
        """The URL's origin with the scheme's default port filled in; None when it has none."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        try:
            port = parts.port or DEFAULT_PORTS.get(scheme)
        except ValueError:  # a port that is not a number in range
            return None
        if not parts.hostname or scheme not in DEFAULT_PORTS:
            return None
        return cls(scheme, parts.hostname.lower(), port)

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"


DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class WriteShape:
    """Writes an API lets the safe-writes profile send: `methods` on
    `/<collection>/{username}[/{id}]`, the username on the --peer allowlist.

    An API declares its shapes (a write that only ever touches one chosen peer's data); the
    guard knows no API, so a shape nobody declared is never allowed."""

    collection: str  # the first route segment, compared case-insensitively as slskd routes it
    methods: tuple[str, ...]  # upper case, in the order the refusal names them
    with_id: bool = True  # whether `/<collection>/{username}/{id}` is a write of this shape too

    def admits(self, method: str, route: list[str]) -> bool:
        depths = (2, 3) if self.with_id else (2,)
        return method in self.methods and len(route) in depths and route[0].lower() == self.collection

    def describe(self) -> str:
        *others, last = self.methods
        methods = f"{', '.join(others)} and {last}" if others else last
        return f"{methods} on /{self.collection}/{{username}}{'[/{id}]' if self.with_id else ''}"


@dataclass(frozen=True)
class PeerWrite:
    """Writes that reach other Soulseek users whatever the profile (a search is sent to
    thousands of them): `methods` on `/<collection>` and below. An API declares them with the
    name of their consent (`--allow-<consent>`); the guard lets them out only to a target where
    no real person can be reached (the embedded server, a target proven on the simulated
    network) or with that consent, so a `--profile full` given for one API's writes never lets
    another's reach people."""

    collection: str
    methods: tuple[str, ...]  # may hold GET: a read that asks a real person's client (a browse)
    consent: str  # the option that allows them is `--allow-<consent>`
    # the ends of routes below `/<collection>/{name}` that stay in the target (a read of its own
    # memory, such as `browse/status`), compared case-insensitively as slskd routes them
    local: tuple[tuple[str, ...], ...] = ()

    def admits(self, method: str, route: list[str] | None, path: str = "") -> bool:
        """Whether this request is such a write: a write whose path the guard cannot read counts
        as one, a read of such a path when one of its segments is the collection."""
        if method not in self.methods:
            return False
        if route is None:
            return method not in SAFE_METHODS or self.collection in {
                unquote(segment).lower() for segment in path.split("/")
            }
        tail = tuple(segment.lower() for segment in route[2:])
        return bool(route) and route[0].lower() == self.collection and tail not in self.local


def api_prefix_of(root: str) -> str:
    """The API's path prefix for a target root URL, keeping a reverse proxy's or url_base's path."""
    return urlsplit(root).path.rstrip("/") + API_PREFIX


class WritePolicy:
    """Decides, per request, whether the run's profile allows it; `check` raises `WriteBlocked`."""

    def __init__(
        self,
        profile: Profile,
        allowed_usernames: Iterable[str],
        api_prefix: str = API_PREFIX,
        *,
        origin: str | None = None,
        writes: Iterable[WriteShape] = (),
        peer_writes: Iterable[PeerWrite] = (),
        consented: Iterable[str] = (),
    ) -> None:
        """`origin`: the target's root URL; when given, nothing leaves for any other origin.
        `writes`: the shapes the safe-writes profile lets out (none: it lets out no write).
        `peer_writes`: writes that reach real people, let out only when their consent is among
        `consented`, whatever the profile."""
        self.profile = profile
        self.writes = tuple(writes)
        self.peer_writes = tuple(peer_writes)
        self.consented = frozenset(consented)
        self.allowed_usernames = frozenset(allowed_usernames)
        self._prefix = [segment.lower() for segment in api_prefix.strip("/").split("/") if segment]
        self.origin = None if origin is None else Origin.of(origin)

    @classmethod
    def for_target(
        cls,
        profile: Profile,
        allowed_usernames: Iterable[str],
        root: str,
        writes: Iterable[WriteShape] = (),
        peer_writes: Iterable[PeerWrite] = (),
        consented: Iterable[str] = (),
    ) -> WritePolicy:
        """The guard of a run against `root`: its origin, and its API prefix (a url_base kept);
        `writes`: what the safe-writes profile lets out (none: no write); `peer_writes` and
        `consented`: the writes that reach real people, and which of them the run may send."""
        return cls(
            profile,
            allowed_usernames,
            api_prefix_of(root),
            origin=root,
            writes=writes,
            peer_writes=peer_writes,
            consented=consented,
        )

    def same_origin(self, url: str) -> bool:
        return self.origin is None or Origin.of(url) == self.origin

    def check(self, method: str, url: str) -> None:
        method = method.upper()
        if not self.same_origin(url):
            raise WriteBlocked(
                f"blocked {method} {_origin_text(url)}: the run sends requests (and credentials) "
                f"only to the target's origin {self.origin}"
            )
        path = urlsplit(url).path
        route = self._route(path)
        # before the safe methods: a GET may reach real people too (a browse asks their client)
        for write in self.peer_writes:
            if write.admits(method, route, path) and write.consent not in self.consented:
                raise WriteBlocked(
                    f"blocked {method} {path}: it reaches real Soulseek users; it is sent only to the "
                    f"embedded server, a target proven on the simulated network (--network-control), "
                    f"or with --allow-{write.consent}"
                )
        if method in SAFE_METHODS or self.profile is Profile.FULL:
            return
        if method == "POST" and route is not None and [segment.lower() for segment in route] == ["session"]:
            return  # logging in (--username/--password) creates a token, not data: every profile may
        if self.profile is Profile.READ_ONLY:
            raise WriteBlocked(
                f"the read-only profile blocked {method} {path}: it sends only GET and HEAD "
                "(use --profile safe-writes with --peer USER to allow writes to chosen users)"
            )
        refusal = self._write_refusal(method, route)
        if refusal is not None:
            raise WriteBlocked(f"the safe-writes profile blocked {method} {path}: {refusal}")

    def _route(self, path: str) -> list[str] | None:
        """The decoded segments after the API prefix; None when the path is not plainly in the API."""
        segments = _decoded_segments(path)
        prefix = len(self._prefix)
        if segments is None or [segment.lower() for segment in segments[:prefix]] != self._prefix:
            return None
        return segments[prefix:]

    def _write_refusal(self, method: str, route: list[str] | None) -> str | None:
        """None when a safe-writes write is allowed, else why not (a clause of the error message)."""
        if route is None:
            return "its path is outside the API, or has empty, dot or undecodable segments"
        if not any(shape.admits(method, route) for shape in self.writes):
            shapes = "; ".join(shape.describe() for shape in self.writes) or "no write an API declares"
            return f"only {shapes} are allowed"
        username, *message_id = route[1:]
        if username not in self.allowed_usernames:
            return f"{username!r} is not on the --peer allowlist"
        if _still_encoded(username):
            return f"{username!r} is ambiguous after percent-decoding"
        # An id holding a (back)slash (`..%2Fbob`) is a path of its own to a proxy that decodes
        # `%2F`. A username may hold one (an allowlisted `a/b`, sent as `a%2Fb`, is exact).
        if message_id and (_still_encoded(message_id[0]) or set(message_id[0]) & {"/", "\\"}):
            return f"the id {message_id[0]!r} is ambiguous after percent-decoding"
        return None


def _still_encoded(segment: str) -> bool:
    """A decoded segment that still looks percent-encoded is read differently by anyone decoding
    twice (a proxy, a future slskd): never guess which user or message that is."""
    return unquote(segment) != segment


def _origin_text(url: str) -> str:
    """The URL up to its path: enough to name where a request was going, without its query."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}{parts.path}"


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

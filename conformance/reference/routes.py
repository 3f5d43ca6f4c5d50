"""slskd's routes this server answers, matched the way ASP.NET endpoint routing matches them.

Literal segments compare case-insensitively; a parameter takes any non-empty segment; when
several templates match, literals outrank parameters (so `GET …/alice/messages` is the
messages route while `PUT …/alice/messages` is acknowledge-one with the id `messages`).
A path no template matches is 404; a path some template matches but not with this method
is 405, with the methods that would have matched in `Allow`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from conformance.reference.wire import Reply, Request, decode_segment


@dataclass(frozen=True)
class Route:
    template: tuple[str, ...]  # lower-case literals and "{name}" parameters
    methods: dict[str, str]  # HTTP method -> operation name


@dataclass(frozen=True)
class Operation:
    handler: Callable[[Request], Reply]
    anonymous: bool = False
    reads_body: bool = False  # [FromBody]: a POST without Content-Type is 415


API = ("api", "v0")
# The server's own routes; each API's emulation brings its own (`conformance.apis`).
SYSTEM_ROUTES = (
    Route(("api", "v0", "application"), {"GET": "application"}),
    Route(("api", "v0", "application", "version"), {"GET": "version"}),
    Route(("api", "v0", "server"), {"GET": "server"}),
    Route(("api", "v0", "session"), {"GET": "session", "POST": "login"}),
    Route(("api", "v0", "session", "enabled"), {"GET": "session_enabled"}),
)


@dataclass(frozen=True)
class Match:
    operation: str | None  # None: the path exists but not for this method
    params: dict[str, bytes]
    allowed: tuple[str, ...] = ()


def match(routes: Iterable[Route], segments: list[bytes], method: str) -> Match | None:
    """The operation for this path and method; None when no route has this path (404)."""
    literals = [decode_segment(s).lower() for s in segments]
    candidates = []
    for route in routes:
        params = _bind(route.template, segments, literals)
        if params is not None:
            candidates.append((route, params))
    if not candidates:
        return None
    serving = [(route, params) for route, params in candidates if method in route.methods]
    if not serving:
        allowed = sorted({m for route, _ in candidates for m in route.methods})
        return Match(None, {}, tuple(allowed))
    route, params = max(serving, key=lambda c: [not part.startswith("{") for part in c[0].template])
    return Match(route.methods[method], params)


def _bind(template: tuple[str, ...], segments: list[bytes], literals: list[str]) -> dict[str, bytes] | None:
    if len(template) != len(segments):
        return None
    params: dict[str, bytes] = {}
    for part, raw, literal in zip(template, segments, literals, strict=True):
        if part.startswith("{"):
            if not raw:
                return None
            params[part[1:-1]] = raw
        elif part != literal:
            return None
    return params

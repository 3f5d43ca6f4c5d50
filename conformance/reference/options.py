"""What a reference server is started with: behaviour, credentials, simulated peers, faults."""

from __future__ import annotations

from dataclasses import dataclass, field

from conformance.reference.faults import validate_faults
from conformance.reference.network import DEFAULT_USERNAME
from conformance.reference.variants import validate_variants

DOCUMENTED = "documented"  # the documented contract, slskd's facts filling what the docs leave open
SLSKD = "slskd"  # real slskd 0.26.0, quirks included
INTENDED = "intended"  # slskd as its code intends: its lookups awaited, its deliberate choices kept
BEHAVIOURS = (DOCUMENTED, SLSKD, INTENDED)


@dataclass(frozen=True)
class Traits:
    """What sets one behaviour apart, one switch per way slskd's code departs from the docs.

    `intended` is slskd with the un-awaited lookups of its controller awaited
    (source-notes §4.5-4.7): ack-one, ack-all and close answer 404 for what they do not
    find, and close looks among *active* conversations only (`FindAsync(username,
    includeInactive: false)`), so closing a closed conversation is 404. It keeps what slskd
    chose on purpose (lenient binding since 0.22.0, the 0.26.0 blacklist) and drops what
    no code means to do: the 500s of a shared id and of a whitespace-only username.
    """

    lenient_binding: bool  # unparsable query/route values fall back to their defaults
    blacklist: bool  # a send to a blacklisted user answers 200 and does nothing
    lookups_awaited: bool  # False: ack-one, ack-all and close never answer 404
    close_finds_active_only: bool  # close answers 404 for a closed conversation too
    server_errors: bool  # a shared id and a whitespace-only username answer 500


TRAITS = {
    DOCUMENTED: Traits(False, False, True, False, False),
    SLSKD: Traits(True, True, False, False, True),
    INTENDED: Traits(True, True, True, True, False),
}


@dataclass(frozen=True)
class ReferenceOptions:
    """Options of one reference server; invalid values raise ValueError at construction.

    Authentication is enabled as soon as any credential is configured (an API key or a web
    login); with none, every caller is the anonymous administrator, like slskd with
    `web.authentication.disabled`. The blacklist acts only in the `slskd` and `intended`
    behaviours: the documented contract has no blacklist.
    """

    behaviour: str = DOCUMENTED
    api_key: str | None = None
    readonly_api_key: str | None = None  # slskd checks no role on these routes: it may write
    web_username: str | None = None  # POST /session login; None: no login possible
    web_password: str | None = None
    echo_peers: tuple[str, ...] = ("echo-peer",)
    blacklist: tuple[str, ...] = ("blacklisted-peer",)
    logged_in: bool = True  # to the (simulated) Soulseek network, at start
    db_path: str = ":memory:"
    version: str = "0.26.0"
    faults: frozenset[str] = field(default_factory=frozenset)
    variants: frozenset[str] = field(default_factory=frozenset)  # representation variants, variants.py
    soulseek: tuple[str, int] | None = None  # a Soulseek server to log in to; None: simulated network
    soulseek_username: str = DEFAULT_USERNAME
    soulseek_password: str = DEFAULT_USERNAME
    peer_seed: int = 0  # the simulated sharing peers' library (conformance.peers.library.load)
    peer_library: str | None = None  # a library file; None: the default one

    def __post_init__(self) -> None:
        if self.behaviour not in BEHAVIOURS:
            raise ValueError(f"unknown behaviour {self.behaviour!r}; choose one of {', '.join(BEHAVIOURS)}")
        for name in ("api_key", "readonly_api_key", "web_username", "web_password"):
            if getattr(self, name) == "":
                raise ValueError(f"{name} must not be empty (use None to leave it unset)")
        if (self.web_username is None) != (self.web_password is None):
            raise ValueError("web_username and web_password go together")
        if not self.version:
            raise ValueError("version must not be empty")
        object.__setattr__(self, "echo_peers", tuple(self.echo_peers))
        object.__setattr__(self, "blacklist", tuple(self.blacklist))
        object.__setattr__(self, "faults", validate_faults(self.faults))
        object.__setattr__(self, "variants", validate_variants(self.variants))

    @property
    def auth_enabled(self) -> bool:
        return any(c is not None for c in (self.api_key, self.readonly_api_key, self.web_username))

    @property
    def traits(self) -> Traits:
        return TRAITS[self.behaviour]

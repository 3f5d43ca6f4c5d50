"""What a reference server is started with: behaviour, credentials, simulated peers, faults."""

from __future__ import annotations

from dataclasses import dataclass, field

from conformance.reference.faults import validate_faults
from conformance.reference.network import DEFAULT_USERNAME

DOCUMENTED = "documented"  # the documented contract, slskd's facts filling what the docs leave open
SLSKD = "slskd"  # real slskd 0.26.0, quirks included
BEHAVIOURS = (DOCUMENTED, SLSKD)


@dataclass(frozen=True)
class ReferenceOptions:
    """Options of one reference server; invalid values raise ValueError at construction.

    Authentication is enabled as soon as any credential is configured (an API key or a web
    login); with none, every caller is the anonymous administrator, like slskd with
    `web.authentication.disabled`. The blacklist only acts in the `slskd` behaviour: the
    documented contract has no blacklist.
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
    soulseek: tuple[str, int] | None = None  # a Soulseek server to log in to; None: simulated network
    soulseek_username: str = DEFAULT_USERNAME
    soulseek_password: str = DEFAULT_USERNAME

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

    @property
    def auth_enabled(self) -> bool:
        return any(c is not None for c in (self.api_key, self.readonly_api_key, self.web_username))

    @property
    def slskd_quirks(self) -> bool:
        return self.behaviour == SLSKD

"""Everything a run needs, read once from the command line and the environment, and checked.

Options are validated here, before anything is started, so that a typo or an unsafe
combination ends the run with one line and exit code 2 (`ConfigError`) instead of a
traceback or, worse, a run that writes to a live slskd. The defaults are safe for a live
target: read-only, paced, with a request budget. Credentials can come from environment
variables so they stay out of shell history and process lists.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.apis import consents as peer_write_consents
from conformance.checks.shrinking import DEFAULT_SHRINK_BUDGET
from conformance.cli import option_values as values
from conformance.data.resources import CONVERSATIONS_SPEC
from conformance.errors import ConfigError
from conformance.reference.options import DOCUMENTED
from conformance.reporting.retention import DEFAULT_KEEP_REPORTS
from conformance.transport.auth import Credentials
from conformance.transport.bounded import DEFAULT_MAX_RESPONSE_BYTES
from conformance.transport.pacing import Rate
from conformance.transport.policy import Profile

LIVE_RATE = Rate(5, 1.0)
LIVE_MAX_REQUESTS = 5000
FULL_CLEANUP_RESERVE = 100  # full profile on a live target: generated users, so a fixed reserve
MAX_TIMEOUT = 3600.0  # seconds per request: longer is a typo, and overflows socket timeouts
MAX_RESPONSE_BYTES = 1 << 30  # a body is held in memory whole: more than 1 GiB is never wanted

# A consent to message real users is given on the command line, each time; never inherited.
NOT_FROM_ENVIRONMENT = frozenset({"--i-understand-this-messages-real-users"})
EMBEDDED_ONLY = (
    "--server-behaviour",
    "--reference-fault",
    "--reference-variant",
    "--reference-not-logged-in",
)
REPEATABLE = ("--peer", "--echo-peer", "--blacklisted-peer", "--reference-fault", "--reference-variant")
# credential option → environment variable it falls back to
ENVIRONMENT = {
    "--api-key": "SLSKD_API_KEY",
    "--token": "SLSKD_TOKEN",
    "--username": "SLSKD_USERNAME",
    "--password": "SLSKD_PASSWORD",
    "--readonly-api-key": "SLSKD_READONLY_API_KEY",
}


@dataclass(frozen=True)
class RunConfig:
    target_url: str | None  # a live slskd's root URL (no /api/v0, no trailing slash); None: embedded
    profile: Profile
    api_key: str | None = None
    token: str | None = None
    username: str | None = None
    password: str | None = None
    readonly_api_key: str | None = None
    peers: tuple[str, ...] = ()
    echo_peers: tuple[str, ...] = ()
    blacklisted_peers: tuple[str, ...] = ()
    rate: Rate | None = None
    max_requests: int | None = None
    timeout: float = 10.0
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    insecure: bool = False
    ca_bundle: Path | None = None
    keep: bool = False
    max_examples: int = 25
    seed: int = 0
    shrink: bool = True  # --no-shrink: find failures faster, without minimising their sequences
    shrink_budget: float = DEFAULT_SHRINK_BUDGET  # seconds the run may spend minimising failures
    strict_docs: bool = False
    reports_dir: Path = Path("reports")
    keep_reports: int = DEFAULT_KEEP_REPORTS  # run folders kept in reports_dir (0: all)
    server_behaviour: str | None = DOCUMENTED  # embedded server only; None for a live target
    reference_faults: tuple[str, ...] = ()
    reference_variants: tuple[str, ...] = ()
    reference_logged_in: bool = True  # the embedded server, to its simulated Soulseek network
    server_version: str | None = None
    spec: Path = CONVERSATIONS_SPEC
    notes: tuple[str, ...] = ()  # said once in the report, e.g. options that have no effect
    network_control: str | None = None  # `conformance network`'s control API: writes proven safe
    # the writes that reach real people this run was allowed (`--allow-<consent>`) on a live target
    consents: tuple[str, ...] = ()
    # No --rate given with --network-control: paced through preflight, unpaced once the proof holds
    unpaced_once_proven: bool = False

    def consented(self, embedded: bool) -> tuple[str, ...]:
        """The writes that reach real people this run may send: all of them where nobody real
        can be reached (the embedded server; a target whose preflight must prove it is on the
        simulated network before anything is written), else only those given `--allow-<consent>`."""
        return peer_write_consents() if embedded or self.network_control else self.consents

    @property
    def cleanup_reserve(self) -> int:
        """Requests of --max-requests kept for cleanup: one DELETE per conversation it may close."""
        if self.max_requests is None or self.target_url is None or self.keep:
            return 0
        if self.profile is Profile.SAFE_WRITES:
            return len(self.writable_usernames)
        return FULL_CLEANUP_RESERVE if self.profile is Profile.FULL else 0

    @property
    def disposable_target(self) -> bool:
        """Whether the target may be harmed: unsafe reads (catalogue `reads:`) run only there.

        The embedded server is; a live slskd is not. This is the one place a run could accept
        proof that a live target is disposable too (say, a container the run started itself).
        """
        return self.target_url is None

    @property
    def auth_kind(self) -> str:
        if self.api_key:
            return "api-key"
        if self.token:
            return "token"
        if self.username:
            return "password"
        return "none"

    @property
    def credentials(self) -> Credentials:
        return Credentials(self.api_key, self.token, self.username, self.password)

    @property
    def secrets(self) -> frozenset[str]:
        """Every value that must never appear in a report, a log or a message."""
        values = (self.api_key, self.token, self.password, self.readonly_api_key)
        return frozenset(value for value in values if value)

    @property
    def secret_variables(self) -> dict[str, str]:
        """Each secret → the environment variable a pasted curl line reads it from."""
        given = {
            ENVIRONMENT["--api-key"]: self.api_key,
            ENVIRONMENT["--token"]: self.token,
            ENVIRONMENT["--password"]: self.password,
            ENVIRONMENT["--readonly-api-key"]: self.readonly_api_key,
        }
        return {value: variable for variable, value in given.items() if value}

    @property
    def writable_usernames(self) -> tuple[str, ...]:
        """The write allowlist of the safe-writes profile: every peer the user named."""
        return tuple(dict.fromkeys((*self.peers, *self.echo_peers, *self.blacklisted_peers)))

    @property
    def verify(self) -> bool | str:
        """TLS verification as `requests` takes it."""
        if self.insecure:
            return False
        return str(self.ca_bundle) if self.ca_bundle else True


def environment_variable(option: str) -> str:
    """The variable an option falls back to: slskd's own names for the target and credentials
    (a shell that runs slskd may hold them already), CONFORMANCE_… for the rest (a bare SLSKD_…
    could be one of slskd's own settings)."""
    if option in ENVIRONMENT:
        return ENVIRONMENT[option]
    if option == "--target-url":
        return "SLSKD_TARGET_URL"
    return "CONFORMANCE_" + option.lstrip("-").replace("-", "_").upper()


TRUE, FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")


def _from_environment(option: str, text: str, default: Any) -> Any:
    """An environment value in the shape the command line gives: a flag, a list, or text."""
    variable = environment_variable(option)
    if isinstance(default, bool):
        if text.strip().lower() not in TRUE + FALSE:
            raise ConfigError(f"{variable} must be true or false (got {text!r})")
        return text.strip().lower() in TRUE
    if option in REPEATABLE:
        return text.replace(",", " ").split()
    return text


def from_options(get: Callable[[str], Any], environ: Mapping[str, str]) -> RunConfig:
    """Build and validate a RunConfig from option values (`get("--name")`) and the environment.

    `get` may come from any command line parser (`conformance.cli.options` reads pytest's)."""

    read_from: dict[str, str] = {}  # option → the variable its value came from

    def option(name: str) -> Any:
        """The command line's value, else the option's environment variable (credentials are
        read from the environment by `_choose_credentials`, which tells the two apart)."""
        value = get(name)
        variable = environment_variable(name)
        from_environment = name not in ENVIRONMENT and name not in NOT_FROM_ENVIRONMENT
        if value in (None, False) and from_environment and environ.get(variable) is not None:
            read_from[name] = variable
            return _from_environment(name, environ[variable], value)
        return value

    try:
        return _checked(option, environ)
    except ConfigError as error:
        # the message names the option; the user set a variable: name that too
        variables = [v for name, v in read_from.items() if re.search(rf"{re.escape(name)}\b", str(error))]
        if variables:
            raise ConfigError(f"{error} (from {', '.join(variables)})") from None
        raise


def _checked(option: Callable[[str], Any], environ: Mapping[str, str]) -> RunConfig:
    """The RunConfig of these option values, each checked (`from_options` says where they came from)."""
    notes: list[str] = []
    target_url = values.normalise_target_url(option("--target-url")) if option("--target-url") else None
    credentials = {
        name: option(name) or environ.get(variable) or None for name, variable in ENVIRONMENT.items()
    }
    credentials = _choose_credentials(option, credentials, live=target_url is not None, notes=notes)
    network_control = values.network_control(option("--network-control"), target_url)
    profile = values.profile(
        option("--profile"),
        target_url,
        understood=option("--i-understand-this-messages-real-users") or network_control is not None,
        simulated=network_control is not None,
    )
    peers, echo_peers, blacklisted = (
        tuple(option(name) or ()) for name in ("--peer", "--echo-peer", "--blacklisted-peer")
    )
    if profile is Profile.SAFE_WRITES and not (peers or echo_peers):
        raise ConfigError(
            "--profile safe-writes needs at least one --peer USER (or --echo-peer USER) to write to"
        )
    if profile is Profile.READ_ONLY and (peers or echo_peers or blacklisted):
        notes.append(
            "--peer, --echo-peer and --blacklisted-peer are unused: the read-only profile sends no writes"
        )
    if target_url is not None:
        for name in EMBEDDED_ONLY:
            if option(name):
                raise ConfigError(f"{name} applies to the embedded server only; drop it or drop --target-url")
    insecure, ca_bundle = bool(option("--insecure")), option("--ca-bundle")
    if insecure and ca_bundle:
        raise ConfigError("choose one of --insecure and --ca-bundle")
    if ca_bundle and not Path(ca_bundle).exists():
        raise ConfigError(f"--ca-bundle: no such file or directory: {ca_bundle}")
    spec = values.spec_file(Path(option("--spec")) if option("--spec") else CONVERSATIONS_SPEC)
    budget = values.number(option, "--shrink-budget", float, minimum=0, default=DEFAULT_SHRINK_BUDGET)
    config = RunConfig(
        target_url=target_url,
        profile=profile,
        api_key=credentials["--api-key"],
        token=credentials["--token"],
        username=credentials["--username"],
        password=credentials["--password"],
        readonly_api_key=credentials["--readonly-api-key"],
        peers=peers,
        echo_peers=echo_peers,
        blacklisted_peers=blacklisted,
        rate=values.rate(option("--rate"), default=values.live(target_url, LIVE_RATE)),
        max_requests=values.number(
            option, "--max-requests", int, minimum=1, default=values.live(target_url, LIVE_MAX_REQUESTS)
        ),
        timeout=values.number(
            option, "--timeout", float, minimum=0, maximum=MAX_TIMEOUT, default=10.0, inclusive=False
        ),
        max_response_bytes=values.number(
            option,
            "--max-response-bytes",
            int,
            minimum=1024,
            maximum=MAX_RESPONSE_BYTES,
            default=DEFAULT_MAX_RESPONSE_BYTES,
        ),
        insecure=insecure,
        ca_bundle=Path(ca_bundle) if ca_bundle else None,
        keep=bool(option("--keep")),
        max_examples=values.number(option, "--max-examples", int, minimum=1, default=25),
        seed=values.number(option, "--seed", int, minimum=0, default=0),
        shrink=not option("--no-shrink") and budget > 0,
        shrink_budget=budget,
        strict_docs=bool(option("--strict-docs")),
        reports_dir=values.reports_dir(Path(option("--reports-dir") or "reports")),
        keep_reports=values.number(option, "--keep-reports", int, minimum=0, default=DEFAULT_KEEP_REPORTS),
        server_behaviour=values.behaviour(option("--server-behaviour"), target_url),
        reference_faults=values.faults(option("--reference-fault")),
        reference_variants=values.variants(option("--reference-variant")),
        reference_logged_in=not option("--reference-not-logged-in"),
        server_version=values.server_version(option("--server-version")),
        spec=spec,
        notes=tuple(notes),
        network_control=network_control,
        consents=tuple(name for name in peer_write_consents() if option(f"--allow-{name}")),
        unpaced_once_proven=network_control is not None and option("--rate") is None,
    )
    if config.max_requests is not None and config.max_requests <= config.cleanup_reserve:
        raise ConfigError(
            f"--max-requests {config.max_requests} leaves nothing to test: "
            f"{config.cleanup_reserve} requests are kept for cleanup"
        )
    return config


def _choose_credentials(
    option: Callable[[str], Any], credentials: dict[str, str | None], *, live: bool, notes: list[str]
) -> dict[str, str | None]:
    """One way to authenticate: an option beats an environment variable, then key > token > login.

    slskd's own container reads SLSKD_API_KEY, SLSKD_USERNAME and SLSKD_PASSWORD, so a shell
    may hold all three; only several *options* at once are a mistake.
    """

    def source(name: str) -> str:
        return name if option(name) else ENVIRONMENT[name]

    given = [name for name in ("--api-key", "--token", "--username") if credentials[name]]
    typed = [name for name in given if option(name)]
    if len(typed) > 1:
        raise ConfigError(f"choose one way to authenticate: got {' and '.join(typed)}")
    chosen = (typed or given or [None])[0]
    if chosen == "--username" and not credentials["--password"]:
        raise ConfigError(f"{source('--username')} needs --password (or {ENVIRONMENT['--password']})")
    if chosen is None and credentials["--password"]:
        raise ConfigError(f"{source('--password')} needs --username (or {ENVIRONMENT['--username']})")
    dropped = [name for name in given if name != chosen]
    if dropped:
        ignored = ", ".join(source(name) for name in dropped)
        notes.append(f"authenticating with {source(str(chosen))}; {ignored} ignored")
    explicit = [name for name in ENVIRONMENT if option(name)]
    if explicit and not live:
        notes.append(f"{', '.join(explicit)} unused: without --target-url the run tests the embedded server")
    kept = {chosen, "--readonly-api-key", "--password" if chosen == "--username" else None}
    return {name: value if name in kept else None for name, value in credentials.items()}

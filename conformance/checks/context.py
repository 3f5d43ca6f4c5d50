"""What a check needs to talk to the target and to say what it found.

Checks never build their own HTTP clients: every request goes through the run's guarded
session (write guard, rate limit, capture), and every verdict names a requirement.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import quote

import requests

from conformance.checks.shrinking import ShrinkBudget
from conformance.requirements.catalogue import Need, Requirement
from conformance.requirements.judge import Judge
from conformance.results.collector import CaseRecorder

# Seconds between reads while waiting for a peer's reply: a live network (or `conformance network`)
# delivers it after the send's 201, the embedded server before it (one read is then enough: a
# reply missing from it never comes, and waiting on it only delays the same verdict).
REPLY_POLLS = (0.0, 0.2, 0.5, 1.0)
AT_ONCE = (0.0,)

_UNSET: Any = object()


@dataclass(frozen=True)
class NetworkHandle:
    """What knows what the Soulseek network carried during the run: the embedded server's
    simulated network (read in this process: each xdist worker has its own server), or the
    control API of the `conformance network` a live target is proven on. An API's checks read
    their own records from whichever is set."""

    simulated: Any = None  # conformance.reference.network.SoulseekNetwork
    control: Any = None  # conformance.network.control_client.ControlClient


def request_line(response: requests.Response) -> str:
    """The exact request a response answers, as a failure message names it: `PUT /api/v0/…/0`."""
    return f"{response.request.method} {response.request.path_url}"


@dataclass
class SuiteContext:
    session: requests.Session
    base_url: str  # ".../api/v0"
    recorder: CaseRecorder
    catalogue: dict[str, Requirement]
    version: str | None
    can_write: bool
    writable_users: tuple[str, ...] | None  # None: any username (embedded server, full profile)
    echo_peers: tuple[str, ...]  # writable peers that answer what they are sent
    blacklisted: tuple[str, ...]  # writable usernames the target is known to blacklist
    auth_enabled: bool
    readonly_api_key: str | None = None
    # operation label → {status: reason} for statuses only the overlay documents
    overlay_statuses: dict[str, dict[str, str]] = field(default_factory=dict)
    spec: dict[str, Any] = field(default_factory=dict)  # the spec under test, for body schemas
    strict_docs: bool = False  # documentation gaps count as defects
    shrink_budget: ShrinkBudget = field(default_factory=ShrinkBudget)  # seconds to minimise failures
    max_examples: int = 25  # per generated test (--max-examples): what time-boxed explorations scale with
    # what the target can show (catalogue `needs`); CREATED when not logged in to Soulseek
    offers: Need = Need.INCOMING
    reply_polls: tuple[float, ...] = REPLY_POLLS  # AT_ONCE where the reply is stored before the 201
    network: NetworkHandle | None = None  # the oracle: None where the network is the real one
    # the writes that reach real people the run may send (`PeerWrite.consent`): all of them on
    # the embedded server and a target proven on the simulated network, else `--allow-<consent>`
    consented: tuple[str, ...] = ()

    def may_reach_peers(self, consent: str) -> bool:
        """Whether the run may send the writes that need `consent` (and writes at all)."""
        return self.can_write and consent in self.consented

    @property
    def sends_succeed(self) -> bool:
        """Whether a valid send is stored and answered 201; if not (not logged in to Soulseek),
        it answers 500 and leaves only what a failed write creates."""
        return self.offers.offers(Need.OUTGOING)

    @cached_property
    def judge(self) -> Judge:
        """What the run's verdicts mean (level rule, versions, readings); it records them too."""
        return Judge(self.catalogue, self.version, self.recorder.record, self.strict_docs, self.offers)

    def body_excerpt(self, response: requests.Response, limit: int = 120) -> str:
        """The start of a response's body, quoted, as a message shows it; secrets are masked
        before the cut (`CaseRecorder.excerpt`): never quote `response.text[:n]` directly."""
        return repr(self.recorder.excerpt(response.text, limit))

    def url(self, *segments: str | int) -> str:
        """The URL of a route under the API root, each segment percent-encoded as slskd expects."""
        return "/".join([self.base_url, *(quote(str(segment), safe="") for segment in segments)])

    def call(
        self,
        method: str,
        *segments: str | int,
        params: dict[str, Any] | None = None,
        json: Any = _UNSET,
        data: str | bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        kwargs: dict[str, Any] = {"params": params, "headers": headers}
        if json is not _UNSET:
            kwargs["json"] = json
        if data is not None:
            kwargs["data"] = data
        return self.session.request(method, self.url(*segments), **kwargs)

    def begin_case(self) -> None:
        self.recorder.begin_case()

    def applies(self, requirement: str) -> bool:
        return self.judge.applies(requirement)

    def may_write_to(self, username: str) -> bool:
        return self.can_write and (self.writable_users is None or username in self.writable_users)

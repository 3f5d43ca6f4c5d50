"""Whether the target requires authentication, decided from what preflight saw of it.

Three facts count: what `GET /session/enabled` says, whether the run was given credentials,
and how the checked APIs' reads answer without credentials. Any sign that authentication is
on turns it on for every route: a route that answers anyway is a failure of that route
(AUTH-MISSING-401, judged by the auth checks), never a reason to skip the other routes'
checks, since one unguarded route is exactly the hole those checks exist to find. Off needs
every probe to agree; anything else is unknown, and the auth checks are skipped with the
reason shown on the first screen of every report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class AuthState(StrEnum):
    ON = "on"
    OFF = "off"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Unauthenticated:
    """One read preflight sent without credentials, and the status it got."""

    request: str  # "GET /api/v0/application"
    status: int

    @property
    def refused(self) -> bool:
        return self.status == 401

    @property
    def served(self) -> bool:
        """Answered past authentication: 2xx, or 404 for a resource nobody created (a fixed name)."""
        return 200 <= self.status < 300 or self.status == 404


@dataclass(frozen=True)
class Authentication:
    """The decision, why it was made, and the reads that answered without credentials."""

    state: AuthState
    reason: str
    served: tuple[str, ...] = ()  # requests answered without credentials

    @property
    def checked(self) -> bool:
        """Whether the auth checks run: only when authentication is on."""
        return self.state is AuthState.ON

    def skip_reason(self) -> str:
        """Why the auth checks do not run, as every report says it."""
        return f"authentication is {self.state.value}: {self.reason}"

    def contradictions(self) -> list[str]:
        """Notes for the reads that answered without credentials although authentication is on."""
        if not self.checked:
            return []
        return [
            f"{request} answered without credentials although authentication is on: "
            "a failure of that route (AUTH-MISSING-401), the other routes are checked as well"
            for request in self.served
        ]

    def as_json(self) -> dict[str, object]:
        return {"state": self.state.value, "reason": self.reason, "served_anonymously": list(self.served)}


UNDECIDED = Authentication(AuthState.UNKNOWN, "the target was not probed")


def decide(
    said: bool | None, saying: str, credentials: bool, answers: Sequence[Unauthenticated]
) -> Authentication:
    """On when the target says so, a read refused to answer without credentials, or the run has
    credentials and the target does not say it is open; off only when every read answered
    without them and the target did not say on.

    `said` is what `GET /session/enabled` says (None: it could not say) and `saying` those
    words, e.g. "GET /api/v0/session/enabled says enabled"."""
    served = tuple(answer.request for answer in answers if answer.served)
    everyone_served = bool(answers) and len(served) == len(answers)
    signs = [saying] if said else []
    # Credentials count as a sign only when the target does not itself say it is open: a slskd
    # with authentication disabled (which the docs allow) accepts any key, and failing every
    # route of it because the user also passed one would be a false defect.
    if credentials and not (said is False and everyone_served):
        signs.append("the run was given credentials")
    refused = [answer.request for answer in answers if answer.refused]
    if refused:
        signs.append(f"{_joined(refused)} without credentials answered 401")
    if signs:
        return Authentication(AuthState.ON, "; ".join(signs), served)
    if everyone_served:
        given = "; the credentials given were not needed" if credentials else ""
        return Authentication(
            AuthState.OFF, f"{saying}, and {_joined(served)} answered without credentials{given}", served
        )
    unclear = [f"{answer.request} answered {answer.status}" for answer in answers if not answer.served]
    return Authentication(
        AuthState.UNKNOWN, f"{saying}; without credentials {_joined(unclear or ['nothing was sent'])}", served
    )


def _joined(items: Sequence[str]) -> str:
    return ", ".join(items)

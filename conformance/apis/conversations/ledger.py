"""What a run changes on a live target, so that cleanup undoes exactly that and nothing else.

The only lasting change a run makes is opening conversations (sending a message, even one
that fails). The ledger learns them from the exchanges themselves, so no check has to
remember to report its writes, and it leaves open the conversations that were already
active before the run.
"""

from __future__ import annotations

from urllib.parse import quote, unquote, urlsplit

from conformance.results.exchange import Exchange
from conformance.transport.diagnosis import json_body
from conformance.transport.session import GuardedSession


class ConversationLedger:
    def __init__(self) -> None:
        self.opened: set[str] = set()
        self.already_active: set[str] = set()

    def on_exchange(self, exchange: Exchange) -> None:
        # A send that fails with 500 (not logged in to Soulseek) has opened it all the same:
        # slskd activates the conversation before it sends.
        opened = exchange.status is not None and (exchange.status < 300 or exchange.status >= 500)
        if exchange.method == "POST" and opened:
            segments = urlsplit(exchange.url).path.split("/")
            if len(segments) >= 2 and segments[-2].lower() == "conversations":
                self.opened.add(unquote(segments[-1]))

    def note_active(self, session: GuardedSession, base_url: str, usernames: tuple[str, ...]) -> None:
        """Remember the peers whose conversation is active before the run: cleanup leaves those open."""
        for username in usernames:
            response = session.get(_conversation_url(base_url, username), params={"includeMessages": "false"})
            if response.status_code == 200 and (json_body(response) or {}).get("isActive"):
                self.already_active.add(username)

    def close_opened(self, session: GuardedSession, base_url: str, within: float | None = None) -> list[str]:
        """Close what the run opened, with the requests the session kept for cleanup (even after
        the run spent its budget), in at most `within` seconds if given; returns a finding per
        conversation left active."""
        findings = []
        with session.cleaning_up(within):
            for username in sorted(self.opened - self.already_active):
                still_open = f"the conversation with {username!r} the run opened is still active"
                try:
                    answer = session.delete(_conversation_url(base_url, username))
                except Exception as error:  # cleanup must never hide the run's own outcome
                    findings.append(f"{still_open}: {error}")
                    continue
                if not answer.ok:
                    findings.append(f"{still_open}: DELETE answered {answer.status_code}")
        return findings


def _conversation_url(base_url: str, username: str) -> str:
    return f"{base_url}/conversations/{quote(username, safe='')}"

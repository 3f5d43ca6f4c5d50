"""The searches a run left on a live target, deleted again at cleanup (unless `--keep`).

A search stays in slskd's list until it is deleted or pruned by age, and a POST rejected for
not being logged in leaves an errored row all the same. The ledger learns every search the run
created from the exchanges (the id of each POST's answer, or the id the request chose), forgets
those the run deleted itself, and deletes the rest, so a target's list is as the run found it.
Searches that were there before the run are never touched: the ledger only knows the run's.
"""

from __future__ import annotations

import json
from urllib.parse import quote, urlsplit

from conformance.results.exchange import Exchange
from conformance.transport.session import GuardedSession


class SearchLedger:
    def __init__(self) -> None:
        self.created: set[str] = set()

    def on_exchange(self, exchange: Exchange) -> None:
        segments = [s for s in urlsplit(exchange.url).path.split("/") if s]
        if exchange.status is None or not segments:
            return
        if exchange.method == "POST" and segments[-1].lower() == "searches":
            self.created.update(_ids(exchange))
        elif (
            exchange.method == "DELETE" and segments[-2:-1] == ["searches"] and exchange.status in (204, 404)
        ):
            self.created.discard(segments[-1].lower())

    def note_active(self, session: GuardedSession, base_url: str, usernames: tuple[str, ...]) -> None:
        """Nothing to note: the ledger deletes only the searches the run created."""

    def close_opened(self, session: GuardedSession, base_url: str, within: float | None = None) -> list[str]:
        """Delete every search the run created and did not delete; a finding per one left."""
        findings = []
        with session.cleaning_up(within):
            for search_id in sorted(self.created):
                left = f"the search {search_id} the run created is still listed"
                try:
                    answer = session.delete(f"{base_url}/searches/{quote(search_id, safe='')}")
                except Exception as error:  # cleanup must never hide the run's own outcome
                    findings.append(f"{left}: {error}")
                    continue
                if answer.status_code not in (204, 404):
                    findings.append(f"{left}: DELETE answered {answer.status_code}")
        return findings


def _ids(exchange: Exchange) -> set[str]:
    """The id of the row a POST left: its answer's (a search), or for a 409 (an errored row
    left all the same) the id the request chose. A 409 without a chosen id leaves a row the
    ledger cannot name; the run's own POSTs choose none, so cleanup lists those as left."""
    source = exchange.response_body if exchange.status == 200 else exchange.request_body
    if exchange.status not in (200, 409):
        return set()
    try:
        value = json.loads(source or "")
    except ValueError:
        return set()
    return {value["id"].lower()} if isinstance(value, dict) and isinstance(value.get("id"), str) else set()

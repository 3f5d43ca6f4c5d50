"""What the network knows was sent: every search it received and every response a peer sent.

The checker's oracle. The simulated network's control API serves it (`GET /searches`) and the
reference server's in-process simulation keeps one too, in the same shape, so a check compares a
server's search with what crossed the network the same way on both:

    [{"from": searcher, "token": int, "query": str, "received_at": unix seconds,
      "responses": [{"peer": username, "sent_at": unix seconds, "response": Response JSON}]}]

A response is listed under the search it was sent for, with the token it carried (which a
misbehaving peer may have changed): a late or misdirected response is recorded too, so a check
can see that the server dropped it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from conformance.peers.responses import PeerResponse


class SearchLog:
    """Searches received and responses sent, in order; safe to use from any thread."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._searches: list[dict[str, Any]] = []

    def received(self, searcher: str, token: int, query: str) -> None:
        with self._lock:
            self._searches.append(
                {
                    "from": searcher,
                    "token": token,
                    "query": query,
                    "received_at": self._clock(),
                    "responses": [],
                }
            )

    def sent(self, searcher: str, token: int, response: PeerResponse) -> None:
        """Record `response` as sent for `searcher`'s search `token` (the latest with that token)."""
        entry = {"peer": response.username, "sent_at": self._clock(), "response": response.as_json()}
        with self._lock:
            for search in reversed(self._searches):
                if search["from"] == searcher and search["token"] == token:
                    search["responses"].append(entry)
                    return
            raise KeyError(f"no search {token} from {searcher!r} was received")

    def as_json(self, token: int | None = None) -> list[dict[str, Any]]:
        """A copy of the record (only the searches with `token`, when given)."""
        with self._lock:
            return [
                {**search, "responses": list(search["responses"])}
                for search in self._searches
                if token is None or search["token"] == token
            ]

"""The six Searches operations in the reference server, in every behaviour, faults included.

A search lives in memory (slskd keeps it in SQLite; nothing here needs it across restarts):
created `Requested`, `Queued` until one of the two search slots is free, `InProgress` once its
FileSearch is sent (`SoulseekNetwork.search`), and `Completed, <reason>` when a limit is
reached, its timeout passes with no accepted response, it is cancelled, or the network fails.
Responses arrive on the network's threads (`deliver`) and are accepted as Soulseek.NET's
`TryAddResponse` accepts them (shared/soulseek/peers-and-apis.md §1.1 step 4-5): only while
InProgress, only under the search's token, only past its filters; each accepted response adds
to the counts and resets the timeout.

The behaviours differ where the docs and slskd do (contract §4):
- `documented`: `searchTimeout` in seconds (≥ 1, default 15), the responses accepted so far
  visible while InProgress, PUT of a search not running 304;
- `slskd`: `searchTimeout` in milliseconds (≥ 5, default 15,000), responses `[]` until the
  search completes, PUT 200 for any known id;
- `intended`: slskd, but PUT of a search not running 304 (the code declares it).

Every operation holds the API's lock for its whole length, and so does every delivery: a
reader sees a search whole, never half-updated.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from dataclasses import replace
from typing import Any

from conformance.apis.searches.search_request import parse_search_request, text_reply
from conformance.apis.searches.stored import (
    CANCELLED,
    COMPLETED,
    DOCUMENTED_DEFAULTS,
    ERRORED,
    FILE_LIMIT,
    IN_PROGRESS,
    QUEUED,
    RESPONSE_LIMIT,
    SLOTS,
    SLSKD_DEFAULTS,
    TIMED_OUT,
    TOKENS,
    Deadlines,
    Search,
    now_micros,
)
from conformance.peers.library import SEPARATOR, Attribute, SharedFile
from conformance.peers.matching import network_query
from conformance.peers.responses import PeerResponse
from conformance.reference.clock import format_timestamp
from conformance.reference.network import SoulseekError, SoulseekNetwork
from conformance.reference.options import DOCUMENTED, INTENDED, ReferenceOptions
from conformance.reference.variants import Representation
from conformance.reference.wire import HttpError, Reply, Request, decode_segment, parse_bool

NOT_FOUND, BAD_REQUEST, CONFLICT, NOT_MODIFIED = 404, 400, 409, 304


class SearchesApi:
    """The Searches operations over the server's network; searches held in memory."""

    def __init__(
        self,
        options: ReferenceOptions,
        network: SoulseekNetwork,
        representation: Representation | None = None,
    ) -> None:
        self.network = network
        self.faults = options.faults
        self.representation = representation or Representation(options.variants)
        self.seconds = options.behaviour == DOCUMENTED  # searchTimeout's unit
        self.defaults = DOCUMENTED_DEFAULTS if self.seconds else SLSKD_DEFAULTS
        self.visible_while_running = options.behaviour == DOCUMENTED
        self.idle_cancel_304 = options.behaviour in (DOCUMENTED, INTENDED)
        self.lenient_binding = options.traits.lenient_binding
        self.lock = threading.RLock()
        self.searches: dict[str, Search] = {}  # in creation order
        self.deadlines = Deadlines(self._expire)
        self._random = random.SystemRandom()
        self._last_id: str | None = None

    # --- shapes ------------------------------------------------------------------------------
    def _state(self, search: Search) -> str:
        text = search.state if search.reason is None else f"{search.state}, {search.reason}"
        if "search-state-separator" in self.faults:
            text = text.replace(", ", " | ")
        if "search-state-lowercase" in self.faults:
            text = text.lower()
        return text

    def _timestamp(self, micros: int) -> str:
        return format_timestamp(
            micros, zone=self.representation.zone, fraction=self.representation.fraction(micros)
        )

    def shape(self, search: Search, responses: list[PeerResponse] | None, *, regress: bool = False) -> dict:
        """slskd's Search object; `endedAt` left out while null, as System.Text.Json is told to."""
        state, complete, ended = self._state(search), search.complete, search.ended_at
        if regress:  # the search-state-regresses fault: shown as if it had lost its slot
            state, complete, ended = self._state(replace(search, state=QUEUED, reason=None)), False, None
        body: dict[str, Any] = {
            "id": search.id,
            "searchText": search.text,
            "token": search.token,
            "state": state,
            "isComplete": complete,
            "startedAt": self._timestamp(search.started_at),
        }
        if ended is not None:
            body["endedAt"] = self._timestamp(ended)
        body |= {
            "responseCount": search.response_count,
            "fileCount": search.file_count,
            "lockedFileCount": search.locked_file_count,
            "responses": [self.response(r) for r in responses or []],
        }
        return body

    def response(self, response: PeerResponse) -> dict[str, Any]:
        body = response.as_json()
        if "search-filename-slashes" in self.faults or "search-attributes-swapped" in self.faults:
            body["files"] = [self._file(f) for f in response.files]
            body["lockedFiles"] = [self._file(f) for f in response.locked_files]
        return body

    def _file(self, file: SharedFile) -> dict[str, Any]:
        if "search-filename-slashes" in self.faults:
            file = replace(file, filename=file.filename.replace(SEPARATOR, "/"))
        if "search-attributes-swapped" in self.faults:
            values = dict(file.attributes)
            pairs = ((Attribute.BIT_RATE, Attribute.LENGTH), (Attribute.SAMPLE_RATE, Attribute.BIT_DEPTH))
            for a, b in pairs:
                if a in values and b in values:
                    values[a], values[b] = values[b], values[a]
            file = replace(file, attributes=tuple(values.items()))
        return file.as_json()

    def _shown(self, search: Search, include: bool) -> list[PeerResponse] | None:
        """The responses a read shows: all accepted so far (`documented`), or none until the
        search completes (slskd stores them at completion)."""
        if not include:
            return None
        if not search.complete and not self.visible_while_running:
            return []
        return list(search.responses)

    # --- binding -----------------------------------------------------------------------------
    def _find(self, request: Request) -> Search | None:
        """The `{id}` route value as a Guid: anything else binds to the empty Guid (no search)."""
        text = decode_segment(request.params["id"])
        try:
            key = str(uuid.UUID(text))
        except ValueError:
            return None
        return self.searches.get(key)

    def _flag(self, request: Request, name: str, default: bool) -> bool:
        text = request.query.get(name.lower())
        if text is None:
            return default
        value = parse_bool(text)
        if value is None and not self.lenient_binding:
            raise HttpError(BAD_REQUEST)
        return default if value is None else value

    # --- reads -------------------------------------------------------------------------------
    def list_searches(self, request: Request) -> Reply:
        include = "search-list-includes-responses" in self.faults
        with self.lock:
            return Reply.json([self.shape(s, self._shown(s, include)) for s in self.searches.values()])

    def get_search(self, request: Request) -> Reply:
        include = self._flag(request, "includeResponses", False)
        if "search-include-responses-ignored" in self.faults:
            include = False
        with self.lock:
            search = self._find(request)
            if search is None:
                if "search-get-unknown-200" in self.faults:
                    return Reply.json(self._phantom(request))
                raise HttpError(NOT_FOUND)
            search.reads += 1
            regress = "search-state-regresses" in self.faults and search.reads == 1 and search.state != QUEUED
            return Reply.json(self.shape(search, self._shown(search, include), regress=regress))

    def _phantom(self, request: Request) -> dict[str, Any]:
        """The search-get-unknown-200 fault: an empty completed search under the id asked for."""
        now = now_micros()
        ghost = Search(
            decode_segment(request.params["id"]), "", 0, "", 0.0, 0, 0, True, 0, 0, 0, now,
            COMPLETED, ERRORED, now,
        )  # fmt: skip
        return self.shape(ghost, [])

    def responses(self, request: Request) -> Reply:
        with self.lock:
            search = self._find(request)
            if search is None:
                raise HttpError(NOT_FOUND)
            return Reply.json([self.response(r) for r in self._shown(search, True) or []])

    # --- create ------------------------------------------------------------------------------
    def create(self, request: Request) -> Reply:
        fields = parse_search_request(request.body, self.defaults, 1 if self.seconds else 5)
        text = fields["searchText"]
        if "search-text-trimmed" in self.faults:
            text = text.strip()
        query = network_query(text, drop_single_characters="search-single-char-kept" not in self.faults)
        with self.lock:
            search_id = fields["id"] or self._new_id()
            if search_id in self.searches:  # the insert of a second row with the same key fails
                return Reply.json(f"A search with id {search_id} already exists", 500)
            token = fields["token"]
            if token is not None and any(s.token == token and s.running for s in self.searches.values()):
                return text_reply(BAD_REQUEST, f"An active search with token {token} is already in progress")
            if not query:  # Soulseek.NET's ArgumentException: nothing searchable is left
                return text_reply(
                    BAD_REQUEST,
                    "Search text must not be a null or empty string, or one consisting only of whitespace "
                    "(after removing single-character terms) (Parameter 'query')",
                )
            search = Search(
                id=search_id,
                text=text,
                token=self._token() if token is None else token,
                query=query,
                timeout_s=fields["searchTimeout"] if self.seconds else fields["searchTimeout"] / 1000,
                response_limit=fields["responseLimit"],
                file_limit=fields["fileLimit"],
                filter_responses=fields["filterResponses"],
                min_files=fields["minimumResponseFileCount"],
                max_queue=fields["maximumPeerQueueLength"],
                min_speed=fields["minimumPeerUploadSpeed"],
                started_at=now_micros(),
            )
            self._last_id = search_id
            if not self.network.logged_in:
                # slskd saved the row before the network call threw: it stays, Errored, ended at once
                search.state, search.reason, search.ended_at = COMPLETED, ERRORED, search.started_at
                if "search-logged-out-no-row" not in self.faults:
                    self.searches[search_id] = search
                if "search-logged-out-200" in self.faults:
                    return Reply.json(self.shape(search, []))
                return text_reply(
                    CONFLICT,
                    "The server connection must be connected and logged in to perform a search "
                    f"(currently: {self.network.state})",
                )
            self.searches[search_id] = search
            search.state = QUEUED
            self._schedule()
            return Reply.json(self.shape(search, self._shown(search, True)))

    def _new_id(self) -> str:
        """A fresh Guid; with search-ids-reused, the last search's id once that one has ended."""
        if "search-ids-reused" in self.faults and self._last_id is not None:
            last = self.searches.get(self._last_id)
            if last is None or last.complete:
                self.searches.pop(self._last_id, None)
                return self._last_id
        return str(uuid.uuid4())

    def _token(self) -> int:
        taken = {s.token for s in self.searches.values() if s.running}
        while (token := self._random.randrange(TOKENS)) in taken:
            pass
        return token

    # --- the search's life -------------------------------------------------------------------
    def _schedule(self) -> None:
        """Start the queued searches, oldest first, while a slot is free (lock held)."""
        running = sum(s.state == IN_PROGRESS for s in self.searches.values())
        for search in list(self.searches.values()):
            if search.state != QUEUED:
                continue
            if running >= SLOTS and "search-concurrency-unbounded" not in self.faults:
                return
            running += 1
            self._start(search)

    def _start(self, search: Search) -> None:
        search.state = IN_PROGRESS
        search.deadline = time.monotonic() + search.timeout_s
        self.deadlines.arm(search.deadline, search.id)
        try:
            self.network.search(search.token, search.query, lambda r, s=search: self.deliver(s, r))
        except SoulseekError:
            self._complete(search, ERRORED, reschedule=False)

    def deliver(self, search: Search, response: PeerResponse) -> None:
        """A response the network carried for `search`: accepted as TryAddResponse accepts it."""
        with self.lock:
            if self.searches.get(search.id) is not search:
                return  # deleted (or its id taken by another): nobody is listening
            if search.state != IN_PROGRESS and not (
                search.complete and "search-late-response-accepted" in self.faults
            ):
                return
            if response.token != search.token and "search-wrong-token-accepted" not in self.faults:
                return
            if search.filter_responses and not self._passes(search, response):
                return
            self._accept(search, response)

    def _passes(self, search: Search, response: PeerResponse) -> bool:
        if "search-filters-ignored" in self.faults:
            return True
        files = len(response.files) + len(response.locked_files)
        enough = files >= search.min_files or "search-min-files-ignored" in self.faults
        fast = response.upload_speed >= search.min_speed
        kept = enough and fast and response.queue_length < search.max_queue
        return not kept if "search-filters-inverted" in self.faults else kept

    def _accept(self, search: Search, response: PeerResponse) -> None:
        first = not search.responses
        if first and not search.lost and "search-response-lost" in self.faults:
            search.lost = True
            return  # the first one: neither stored nor counted, and the timeout not reset
        search.responses.append(response)
        if first and "search-response-duplicated" in self.faults:
            search.responses.append(response)
        times = 2 if "search-response-counted-twice" in self.faults else 1
        files = len(response.files)
        if "search-locked-in-filecount" in self.faults:
            files += len(response.locked_files)
        search.response_count += times
        search.file_count += times * files
        search.locked_file_count += times * len(response.locked_files)
        if search.complete:
            return  # a late response (search-late-response-accepted): stored, nothing else
        if "search-timeout-not-reset" not in self.faults:
            search.deadline = time.monotonic() + search.timeout_s
        if search.response_count >= search.response_limit and "search-limit-ignored" not in self.faults:
            self._complete(search, RESPONSE_LIMIT)
        elif search.file_count >= search.file_limit and "search-file-limit-ignored" not in self.faults:
            self._complete(search, FILE_LIMIT)

    def _expire(self, search_id: str) -> None:
        """The deadline thread: time out a search whose deadline has really passed."""
        with self.lock:
            search = self.searches.get(search_id)
            if search is None or search.state != IN_PROGRESS:
                return
            if time.monotonic() < search.deadline:  # a response reset it: wait again
                self.deadlines.arm(search.deadline, search_id)
                return
            if "search-never-completes" in self.faults:
                return
            self._complete(search, TIMED_OUT)

    def _complete(self, search: Search, reason: str, *, reschedule: bool = True) -> None:
        search.state, search.reason, search.ended_at = COMPLETED, reason, now_micros()
        if reschedule:
            self._schedule()

    # --- cancel and delete -------------------------------------------------------------------
    def cancel(self, request: Request) -> Reply:
        with self.lock:
            search = self._find(request)
            if search is None:
                raise HttpError(NOT_FOUND)
            if not search.running:
                return Reply(NOT_MODIFIED) if self.idle_cancel_304 else Reply(200)
            if "search-cancel-ignored" not in self.faults:
                reason = TIMED_OUT if "search-cancel-timedout" in self.faults else CANCELLED
                self._complete(search, reason)
            return Reply(200)

    def delete(self, request: Request) -> Reply:
        with self.lock:
            search = self._find(request)
            if search is None:
                if "search-delete-unknown-204" in self.faults:
                    return Reply(204)
                raise HttpError(NOT_FOUND)
            if "search-delete-keeps" in self.faults:
                return Reply(204)
            if search.running:
                self._complete(search, CANCELLED, reschedule=False)
            del self.searches[search.id]
            self._schedule()
            return Reply(204)

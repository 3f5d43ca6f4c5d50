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

import heapq
import json
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from conformance.peers.library import SEPARATOR, Attribute, SharedFile
from conformance.peers.matching import network_query
from conformance.peers.responses import PeerResponse
from conformance.reference.clock import format_timestamp
from conformance.reference.network import SoulseekError, SoulseekNetwork
from conformance.reference.options import DOCUMENTED, INTENDED, ReferenceOptions
from conformance.reference.variants import Representation
from conformance.reference.wire import HttpError, Reply, Request, decode_segment, parse_bool

REQUESTED, QUEUED, IN_PROGRESS, COMPLETED = "Requested", "Queued", "InProgress", "Completed"
RESPONSE_LIMIT, FILE_LIMIT = "ResponseLimitReached", "FileLimitReached"
TIMED_OUT, CANCELLED, ERRORED = "TimedOut", "Cancelled", "Errored"
SLOTS = 2  # Soulseek.NET's concurrent searches; the others wait Queued
TOKENS = 2**31  # a search token is a uint31
INT32_MAX = 2**31 - 1
NOT_FOUND, BAD_REQUEST, CONFLICT, NOT_MODIFIED = 404, 400, 409, 304
TEXT_TYPE = "text/plain; charset=utf-8"
IDLE_S = 1.0  # the timeout thread ends after this long with no search to time out


@dataclass(frozen=True)
class Defaults:
    """What a POST leaves out: the docs' numbers (`documented`) or Soulseek.NET's (`slskd`)."""

    timeout: int  # in the behaviour's unit
    response_limit: int
    file_limit: int
    min_files: int = 1
    max_queue: int = 1_000_000
    min_speed: int = 0


DOCUMENTED_DEFAULTS = Defaults(timeout=15, response_limit=100, file_limit=10_000)
SLSKD_DEFAULTS = Defaults(timeout=15_000, response_limit=250, file_limit=25_000)


@dataclass
class Search:
    """One search as the server holds it."""

    id: str
    text: str
    token: int
    query: str
    timeout_s: float
    response_limit: int
    file_limit: int
    filter_responses: bool
    min_files: int
    max_queue: int
    min_speed: int
    started_at: int  # wall-clock microseconds (the oracle's clock)
    state: str = REQUESTED
    reason: str | None = None
    ended_at: int | None = None
    responses: list[PeerResponse] = field(default_factory=list)
    response_count: int = 0
    file_count: int = 0
    locked_file_count: int = 0
    deadline: float = 0.0  # time.monotonic() at which it times out, while InProgress
    reads: int = 0  # GET /searches/{id} answered (the search-state-regresses fault)
    lost: bool = False  # a response was lost already (the search-response-lost fault)

    @property
    def complete(self) -> bool:
        return self.state == COMPLETED

    @property
    def running(self) -> bool:
        return self.state in (REQUESTED, QUEUED, IN_PROGRESS)


class Deadlines:
    """One thread that calls `expire(id)` when a search's deadline may have passed; the
    callee re-checks the deadline (a response may have moved it) and re-arms if need be."""

    def __init__(self, expire: Callable[[str], None]) -> None:
        self._expire = expire
        self._heap: list[tuple[float, str]] = []
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def arm(self, at: float, search_id: str) -> None:
        with self._wake:
            heapq.heappush(self._heap, (at, search_id))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="search-timeouts", daemon=True)
                self._thread.start()
            self._wake.notify()

    def _run(self) -> None:
        """Until nothing has been armed for IDLE_S: then the thread ends (a stopped server's
        emulation leaves none behind), and the next `arm` starts another."""
        while True:
            with self._wake:
                while not self._heap or self._heap[0][0] > time.monotonic():
                    if not self._heap:
                        self._wake.wait(IDLE_S)
                        if not self._heap:
                            self._thread = None
                            return
                    else:
                        self._wake.wait(self._heap[0][0] - time.monotonic())
                _, search_id = heapq.heappop(self._heap)
            self._expire(search_id)


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
        now = _now()
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
        fields = self._body(request)
        text = fields["searchText"]
        if "search-text-trimmed" in self.faults:
            text = text.strip()
        query = _keep_all(text) if "search-single-char-kept" in self.faults else network_query(text)
        with self.lock:
            search_id = fields["id"] or self._new_id()
            if search_id in self.searches:  # the insert of a second row with the same key fails
                return Reply.json(f"A search with id {search_id} already exists", 500)
            token = fields["token"]
            if token is not None and any(s.token == token and s.running for s in self.searches.values()):
                return _text(BAD_REQUEST, f"An active search with token {token} is already in progress")
            if not query:  # Soulseek.NET's ArgumentException: nothing searchable is left
                return _text(
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
                started_at=_now(),
            )
            self._last_id = search_id
            if not self.network.logged_in:
                # slskd saved the row before the network call threw: it stays, Errored, ended at once
                search.state, search.reason, search.ended_at = COMPLETED, ERRORED, search.started_at
                if "search-logged-out-no-row" not in self.faults:
                    self.searches[search_id] = search
                if "search-logged-out-200" in self.faults:
                    return Reply.json(self.shape(search, []))
                return _text(
                    CONFLICT,
                    "The server connection must be connected and logged in to perform a search "
                    f"(currently: {self.network.state})",
                )
            self.searches[search_id] = search
            search.state = QUEUED
            self._schedule()
            return Reply.json(self.shape(search, self._shown(search, True)))

    def _body(self, request: Request) -> dict[str, Any]:
        """The SearchRequest, bound and validated: 400 with a readable string when it is not one."""
        try:
            document = json.loads(request.body.decode("utf-8-sig"))
        except (ValueError, RecursionError):
            raise _Refused("The request body is not valid JSON") from None
        if not isinstance(document, dict):
            raise _Refused("The request body must be a SearchRequest object")
        given = {key.lower(): value for key, value in document.items()}
        fields: dict[str, Any] = {}
        identifier = given.get("id")
        if identifier is not None:
            try:
                fields["id"] = str(uuid.UUID(identifier)) if isinstance(identifier, str) else None
            except ValueError:
                fields["id"] = None
            if fields["id"] is None:
                raise _Refused(f"The JSON value could not be converted to System.Guid: id {identifier!r}")
        else:
            fields["id"] = None
        text = given.get("searchtext")
        if text is not None and not isinstance(text, str):
            raise _Refused("The JSON value could not be converted to System.String: searchText")
        if text is None or not text.strip():
            raise _Refused("The SearchText field is required.")
        fields["searchText"] = text
        least_timeout = 1 if self.seconds else 5
        numbers = {
            "searchTimeout": (self.defaults.timeout, least_timeout),
            "responseLimit": (self.defaults.response_limit, 0),
            "fileLimit": (self.defaults.file_limit, 0),
            "minimumResponseFileCount": (self.defaults.min_files, 0),
            "maximumPeerQueueLength": (self.defaults.max_queue, 0),
            "minimumPeerUploadSpeed": (self.defaults.min_speed, 0),
            "token": (None, 0),
        }
        for name, (default, least) in numbers.items():
            value = given.get(name.lower())
            if value is None:
                fields[name] = default
                continue
            if not isinstance(value, int) or isinstance(value, bool) or value > INT32_MAX:
                raise _Refused(f"The JSON value could not be converted to System.Int32: {name}")
            if value < least:
                raise _Refused(f"The field {name} must be between {least} and {INT32_MAX}.")
            fields[name] = value
        flag = given.get("filterresponses")
        if flag is not None and not isinstance(flag, bool):
            raise _Refused("The JSON value could not be converted to System.Boolean: filterResponses")
        fields["filterResponses"] = True if flag is None else flag
        return fields

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
        search.state, search.reason, search.ended_at = COMPLETED, reason, _now()
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


class _Refused(HttpError):
    """A 400 whose body is slskd's readable validation string (text/plain, as BadRequest(string))."""

    def __init__(self, message: str) -> None:
        super().__init__(BAD_REQUEST)
        self.message = message


def refusing(handler: Callable[[Request], Reply]) -> Callable[[Request], Reply]:
    """`handler` with its validation refusals answered as slskd writes them (a plain string)."""

    def handle(request: Request) -> Reply:
        try:
            return handler(request)
        except _Refused as refused:
            return _text(BAD_REQUEST, refused.message)

    return handle


def _text(status: int, message: str) -> Reply:
    return Reply(status, message.encode("utf-8"), TEXT_TYPE)


def _now() -> int:
    """Wall-clock microseconds: the searches' moments are compared with the oracle's."""
    return time.time_ns() // 1000


def _keep_all(text: str) -> str:
    """The search-single-char-kept fault's query: every term, one-character ones included."""
    terms = text.split()
    inclusions = [t for t in terms if not t.startswith("-")]
    exclusions = [t for t in terms if t.startswith("-") and len(t) > 1]
    return " ".join(inclusions + exclusions) if inclusions else ""

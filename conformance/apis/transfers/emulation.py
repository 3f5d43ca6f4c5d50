"""The Transfers operations in the reference server, in every behaviour.

A download lives in memory (slskd keeps it in SQLite): POST inserts it `Queued, Locally` and
answers 201 at once, before the peer said anything (§3.2.2 of shared/soulseek/peers-and-apis.md);
the network's steps (`SoulseekNetwork.download`) then move it `Requested` → `Queued, Remotely`
→ `Initializing` → `InProgress` → `Completed, <outcome>`. An `Errored` or `TimedOut` attempt is
tried again up to 3 attempts in all: back to `Queued, Locally`, `attempts` one more, resuming
from the bytes that arrived (the next attempt's offset). Uploads exist only when a peer asks
for a file, which the simulated peers never do: their lists are empty.

The behaviours differ where the docs and slskd do (contract §3):
- `slskd`: DELETE of an unknown id 204 (neither the cancel nor the remove throws), the route's
  username ignored by get-by-id and position, a non-GUID id 400 (empty body), GET of a user's
  downloads 404 when none is left (after a removal too), position answers the place as a bare
  integer, `remove=true` removes only what was already completed (the cancel is asynchronous);
- `documented`: DELETE of an unknown id 404 (both DELETE pages list it), get-by-id and position
  look the download up under the route's username, a non-GUID id is no download (404), GET of
  a user's downloads 200 with no directories when there are none (the page lists 200 only),
  position answers the Transfer with `placeInQueue` set (its documented return type),
  `remove=true` removes after cancelling; the Transfer carries the documented property names
  (`startTime`, `endTime`, `startOffset`, `token`, `remoteToken`) beside slskd's;
  facts fill what the docs leave open (400s and 429 of POST, the 500s, the states);
- `intended`: slskd, but DELETE of an unknown id 404: the 404 the controller declares becomes
  reachable (its lookups would throw NotFound), as `intended` does for Conversations.

Every operation holds the API's lock for its whole length, and so does every network step: a
reader sees a transfer whole.
"""

from __future__ import annotations

import json
import threading
import uuid

from conformance.apis.transfers.shapes import TransferShapes
from conformance.apis.transfers.stored import (
    ALREADY,
    ATTEMPTS,
    CANCELLED,
    COMPLETED,
    ENQUEUE_SLOTS,
    ERRORED,
    IN_PROGRESS,
    INITIALIZING,
    QUEUED_LOCALLY,
    QUEUED_REMOTELY,
    REJECTED,
    REQUESTED,
    RETRIED,
    RETRY_DELAY_S,
    SUCCEEDED,
    TIMED_OUT,
    Transfer,
    now_micros,
)
from conformance.reference.download_steps import Step
from conformance.reference.network import SoulseekError, SoulseekNetwork
from conformance.reference.options import DOCUMENTED, INTENDED, ReferenceOptions
from conformance.reference.variants import Representation
from conformance.reference.wire import HttpError, Reply, Request, decode_segment, parse_bool

BAD_REQUEST, NOT_FOUND, TOO_MANY, CREATED, NO_CONTENT = 400, 404, 429, 201, 204


class TransfersApi:
    """The Transfers operations over the server's network; transfers held in memory."""

    def __init__(
        self,
        options: ReferenceOptions,
        network: SoulseekNetwork,
        representation: Representation | None = None,
    ) -> None:
        self.network = network
        self.behaviour = options.behaviour
        self.documented = options.behaviour == DOCUMENTED
        self.unknown_404 = options.behaviour in (DOCUMENTED, INTENDED)  # DELETE of an unknown id
        self.lenient_binding = options.traits.lenient_binding
        self.faults = options.faults
        self.representation = representation or Representation(options.variants)
        self.shapes = TransferShapes(self.documented, self.faults, self.representation)
        self.lock = threading.RLock()
        self.downloads: dict[str, Transfer] = {}  # in enqueue order
        self._cancels: dict[str, threading.Event] = {}
        self._in_flight = 0  # enqueue requests being served (the 429 limiter)
        self._tokens = iter(range(1, 2**31))

    # --- binding -----------------------------------------------------------------------------
    def _flag(self, request: Request, name: str) -> bool:
        text = request.query.get(name.lower())
        if text is None:
            return False
        value = parse_bool(text)
        if value is None and not self.lenient_binding:
            raise HttpError(BAD_REQUEST)
        return bool(value)

    def _find(self, request: Request, *, by_user: bool) -> Transfer | None:
        """The `{id}` route value as a Guid: 400 when it is not one (slskd, intended), no
        transfer (documented); the route's username checked only when `by_user`."""
        text = decode_segment(request.params["id"])
        try:
            key = str(uuid.UUID(text))
        except ValueError:
            if self.documented:
                return None
            raise HttpError(BAD_REQUEST) from None
        found = self.downloads.get(key)
        if found is not None and by_user and found.username != decode_segment(request.params["username"]):
            return None
        return found

    # --- downloads: reads ----------------------------------------------------------------------
    def list_downloads(self, request: Request) -> Reply:
        include = self._flag(request, "includeRemoved")
        with self.lock:
            shown = [t for t in self.downloads.values() if include or not t.removed]
            return Reply.json(self.shapes.grouped(shown))

    def user_downloads(self, request: Request) -> Reply:
        username = decode_segment(request.params["username"])
        with self.lock:
            shown = [t for t in self.downloads.values() if t.username == username and not t.removed]
            if not shown:
                if self.documented:
                    return Reply.json({"username": username, "directories": []})
                raise HttpError(NOT_FOUND)
            return Reply.json(self.shapes.grouped(shown)[0])

    def get_download(self, request: Request) -> Reply:
        with self.lock:
            found = self._find(request, by_user=self.documented)
            if found is None:
                if "transfer-get-unknown-200" in self.faults:
                    return Reply.json({"id": decode_segment(request.params["id"]), "state": "None"})
                raise HttpError(NOT_FOUND)
            return Reply.json(self.shapes.shape(found))

    def position(self, request: Request) -> Reply:
        with self.lock:
            found = self._find(request, by_user=self.documented)
            if found is None:
                if "transfer-position-unknown-200" in self.faults:
                    return Reply.json(0)
                raise HttpError(NOT_FOUND)
            username, filename = found.username, found.filename
        place = self.network.place_in_queue(username, filename)  # outside the lock: it waits
        with self.lock:
            found.place_in_queue = place
            return Reply.json(self.shapes.shape(found) if self.documented else place)

    # --- downloads: enqueue --------------------------------------------------------------------
    def enqueue(self, request: Request) -> Reply:
        username = decode_segment(request.params["username"])
        files = parse_files(request.body, self.faults)
        with self.lock:
            if self._in_flight >= ENQUEUE_SLOTS and "transfer-no-limiter" not in self.faults:
                return Reply.json("Too many requests", TOO_MANY)  # not hidden by the limiter's own text
            self._in_flight += 1
        try:
            return self._enqueue(username, files)
        finally:
            with self.lock:
                self._in_flight -= 1

    def _enqueue(self, username: str, files: list[tuple[str, int]]) -> Reply:
        names = [name for name, _ in files]
        if len(set(names)) != len(names) and "transfer-duplicates-accepted" not in self.faults:
            raise ValueError("The list of files contains duplicates (Parameter 'files')")  # slskd's, as 500
        try:
            self.network.connect(username)  # offline, unknown, not logged in: 500, nothing stored
        except SoulseekError:
            if "transfer-offline-201" not in self.faults:  # the attempt, not the enqueue, fails
                raise
        enqueued: list[Transfer] = []
        failed: list[dict[str, str]] = []
        with self.lock:
            busy = {t.filename for t in self.downloads.values() if t.username == username and not t.complete}
            if "transfer-skipped-ignored" in self.faults:
                busy = set()
            for name, size in files:
                if name in busy:
                    failed.append({"filename": name, "message": ALREADY})
                    continue
                transfer = Transfer(
                    id=str(uuid.uuid4()),
                    username=username,
                    filename=name,
                    size=size,
                    requested_at=now_micros(),
                    token=next(self._tokens),
                )
                if "transfer-enqueued-at-enqueue" in self.faults:
                    transfer.enqueued_at = transfer.requested_at
                if "transfer-enqueue-requested" in self.faults:
                    transfer.state = REQUESTED
                enqueued.append(transfer)
            shapes = [self.shapes.shape(t) for t in enqueued]
        for transfer in enqueued:
            self._attempt(transfer)
        return Reply.json({"enqueued": shapes, "failed": failed}, CREATED)

    def _attempt(self, transfer: Transfer) -> None:
        """Start one attempt on the network. The download is stored and its cancel armed first,
        so neither its first step nor a DELETE can come before them; an attempt the network
        refuses to start (the peer went away) ends the download Errored."""
        cancel = threading.Event()
        with self.lock:
            self.downloads[transfer.id] = transfer
            self._cancels[transfer.id] = cancel
            offset = 0 if "transfer-retry-from-zero" in self.faults else transfer.transferred
            transfer.start_offset = offset
        try:
            self.network.download(
                transfer.username,
                transfer.filename,
                0 if "transfer-size-unchecked" in self.faults else transfer.size,  # 0: any size
                lambda step, t=transfer, c=cancel: self._step(t, c, step),
                offset=offset,
                cancel=cancel,
                token=transfer.token,
            )
        except SoulseekError as error:
            with self.lock:
                transfer.state, transfer.reason, transfer.exception = COMPLETED, ERRORED, str(error)
                transfer.ended_at = now_micros()

    # --- the download's life -------------------------------------------------------------------
    def _step(self, t: Transfer, cancel: threading.Event, step: Step) -> None:
        """A network step of the current attempt (a cancelled one's steps are dropped)."""
        retry = False
        with self.lock:
            if cancel.is_set() or t.complete or self.downloads.get(t.id) is not t:
                return
            if step.kind == "requested":
                t.state, t.reason = REQUESTED, None
            elif step.kind == "queued":
                t.state = QUEUED_REMOTELY
                t.enqueued_at = t.enqueued_at or now_micros()
                if step.place is not None:
                    t.place_in_queue = step.place
            elif step.kind == "initializing":
                t.state = INITIALIZING
                t.remote_token = step.token
            elif step.kind == "started":
                t.state = IN_PROGRESS
                t.start_offset = step.offset
                t.started_at = t.started_at or now_micros()
                del t.data[step.offset :]
            elif step.kind == "data":
                t.data += step.data
            elif step.kind == "ended":
                outcome = self._outcome(step.outcome)
                t.state, t.reason, t.exception = COMPLETED, outcome, step.exception
                t.ended_at = now_micros()
                if outcome in self._retried() and t.attempts < ATTEMPTS:
                    t.next_attempt_at = t.ended_at + int(RETRY_DELAY_S * 1_000_000)
                    retry = True
        if retry:
            timer = threading.Timer(RETRY_DELAY_S / 2, self._retry, args=(t, cancel))
            timer.daemon = True
            timer.start()

    def _outcome(self, outcome: str | None) -> str | None:
        """The ending an attempt's last step gives the download (what a fault makes of it)."""
        if outcome == SUCCEEDED and "transfer-succeeded-errored" in self.faults:
            return ERRORED
        if outcome == REJECTED and "transfer-rejected-errored" in self.faults:
            return ERRORED
        return outcome

    def _retried(self) -> frozenset[str]:
        """The endings tried again."""
        if "transfer-no-retry" in self.faults:
            return frozenset()
        if "transfer-rejected-retried" in self.faults:
            return RETRIED | {REJECTED}
        return RETRIED

    def _retry(self, t: Transfer, cancel: threading.Event) -> None:
        """Back to `Queued, Locally` with one more attempt, unless cancelled or removed meanwhile;
        the attempt starts half a retry delay later (both states can be seen by a poller)."""
        with self.lock:
            if cancel.is_set() or self.downloads.get(t.id) is not t or t.removed:
                return
            t.state, t.reason, t.ended_at = QUEUED_LOCALLY, None, None
            if "transfer-attempts-not-counted" not in self.faults:
                t.attempts += 1
        timer = threading.Timer(RETRY_DELAY_S / 2, self._restart, args=(t, cancel))
        timer.daemon = True
        timer.start()

    def _restart(self, t: Transfer, cancel: threading.Event) -> None:
        with self.lock:
            if cancel.is_set() or self.downloads.get(t.id) is not t or t.complete:
                return
            t.next_attempt_at = None
        self._attempt(t)

    # --- downloads: cancel and remove ----------------------------------------------------------
    def cancel(self, request: Request) -> Reply:
        remove = self._flag(request, "remove")
        with self.lock:
            found = self._find(request, by_user=False)
            if found is None:
                if self.unknown_404:
                    raise HttpError(NOT_FOUND)
                return Reply(NO_CONTENT)
            was_complete = found.complete
            if not found.complete and "transfer-cancel-ignored" not in self.faults:
                self._cancels.get(found.id, threading.Event()).set()
                reason = TIMED_OUT if "transfer-cancel-timedout" in self.faults else CANCELLED
                found.state, found.reason, found.ended_at = COMPLETED, reason, now_micros()
                found.exception = "Operation canceled"
            if remove and (was_complete or self.documented) and "transfer-remove-ignored" not in self.faults:
                found.removed = True
            return Reply(NO_CONTENT)

    def remove_completed(self, request: Request) -> Reply:
        with self.lock:
            if "transfer-remove-completed-keeps" in self.faults:
                return Reply(NO_CONTENT)
            every = "transfer-remove-completed-unfinished" in self.faults
            for t in self.downloads.values():
                if t.complete or every:
                    t.removed = True
            return Reply(NO_CONTENT)

    # --- uploads: none ever arrive from the simulated peers -------------------------------------
    def list_uploads(self, request: Request) -> Reply:
        self._flag(request, "includeRemoved")
        return Reply.json([])

    def user_uploads(self, request: Request) -> Reply:
        if self.documented:
            return Reply.json({"username": decode_segment(request.params["username"]), "directories": []})
        raise HttpError(NOT_FOUND)

    def get_upload(self, request: Request) -> Reply:
        self._upload_id(request)
        raise HttpError(NOT_FOUND)

    def cancel_upload(self, request: Request) -> Reply:
        self._flag(request, "remove")
        self._upload_id(request)
        if self.unknown_404:
            raise HttpError(NOT_FOUND)
        return Reply(NO_CONTENT)

    def remove_completed_uploads(self, request: Request) -> Reply:
        return Reply(NO_CONTENT)

    def _upload_id(self, request: Request) -> None:
        try:
            uuid.UUID(decode_segment(request.params["id"]))
        except ValueError:
            if not self.documented:
                raise HttpError(BAD_REQUEST) from None


def parse_files(body: bytes, faults: frozenset[str] = frozenset()) -> list[tuple[str, int]]:
    """The POST body: a non-empty JSON array of {filename, size} (other properties ignored);
    HttpError 400 for anything else, a `..` segment in a filename included (unless a fault
    lets an empty list or a traversal through)."""
    try:
        document = json.loads(body.decode("utf-8-sig"))
    except (ValueError, RecursionError):
        raise HttpError(BAD_REQUEST) from None
    if not isinstance(document, list) or (not document and "transfer-empty-accepted" not in faults):
        raise HttpError(BAD_REQUEST)
    files: list[tuple[str, int]] = []
    for item in document:
        if not isinstance(item, dict):
            raise HttpError(BAD_REQUEST)
        given = {key.lower(): value for key, value in item.items()}
        name, size = given.get("filename"), given.get("size", 0)
        if not isinstance(name, str) or not name.strip():
            raise HttpError(BAD_REQUEST)
        if ".." in name.replace("/", "\\").split("\\") and "transfer-traversal-accepted" not in faults:
            raise HttpError(BAD_REQUEST)
        if size is None:
            size = 0
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise HttpError(BAD_REQUEST)
        files.append((name, size))
    return files

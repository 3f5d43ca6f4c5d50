"""Seeded faults of the reference server: the mutants the checker must kill.

Each fault is one realistic bug a slskd-like server could ship, switched on by name on
top of the `documented` behaviour. The mutation corpus (each API's `corpus.yaml`)
names, for each fault, the requirement a conformance run must fail; a fault the suite
cannot detect is a hole in the suite, not in the server.
"""

from __future__ import annotations

from collections.abc import Iterable

FAULTS: dict[str, str] = {
    # statuses
    "list-status-201": "GET /conversations answers 201 instead of 200",
    "get-unknown-200": "GET /conversations/{username} answers 200, an empty conversation, for unknown users",
    "messages-unknown-empty": "GET /conversations/{username}/messages answers 200 [] for an unknown user",
    "send-status-200": "a successful POST answers 200 instead of 201",
    "send-empty-accepted": 'POST with "" is accepted (201) and stores an empty message',
    "send-non-string-500": "POST with a JSON number, object, array or boolean answers 500 instead of 400",
    "ack-one-unknown-200": "PUT /conversations/{username}/{id} never answers 404 (slskd's un-awaited lookup)",
    "ack-all-unknown-200": "PUT /conversations/{username} never answers 404 (slskd's un-awaited lookup)",
    "close-unknown-204": "DELETE /conversations/{username} never answers 404 (slskd's un-awaited lookup)",
    # shapes
    "field-renamed": "Conversation.isActive is written as 'active'",
    "field-missing": "PrivateMessage omits isAcknowledged",
    "field-mistyped": "unAcknowledgedMessageCount is written as a JSON string",
    "field-null": 'conversations without loaded messages (list items) carry "messages": null',
    "enum-lowercase": 'message directions are written "in"/"out"',
    "timestamp-no-zone": "timestamps are written without a zone designator",
    "timestamp-offset": "timestamps are written as local time at +02:00 (the same instant, not UTC)",
    "wrong-content-type": "JSON bodies are served as text/plain",
    "error-body-problem": "404 answers carry a ProblemDetails body (application/problem+json)",
    # reads
    "list-ignores-unack-filter": "GET /conversations ignores unAcknowledgedOnly",
    "list-inverts-inactive": "GET /conversations lists only inactive conversations by default, "
    "only active ones with includeInactive=true",
    "list-unsorted": "GET /conversations is ordered by descending username",
    "list-includes-messages": "list items include their messages",
    "messages-ignore-unack-filter": "GET /conversations/{username}/messages ignores unAcknowledgedOnly",
    "messages-unordered": "messages are returned newest first",
    "window-101": "reads return the latest 101 messages instead of 100",
    "count-off-by-one": "unAcknowledgedMessageCount is one too many whenever it is above zero",
    "has-unack-wrong": "hasUnAcknowledgedMessages is always false",
    "get-ignores-include-messages": "GET /conversations/{username}?includeMessages=false still has messages",
    # writes
    "ack-one-lost": "PUT /conversations/{username}/{id} answers 200 without storing the acknowledgement",
    "ack-one-wrong-message": "PUT /conversations/{username}/{id} acknowledges the user's oldest "
    "unacknowledged message instead of the one named",
    "ack-all-wrong-user": "PUT /conversations/{username} acknowledges another conversation's messages",
    "ack-one-any-conversation": "PUT /conversations/{username}/{id} for an id the user does not have "
    "acknowledges the message with that id in whichever conversation holds it (and answers as usual)",
    "close-case-insensitive": "DELETE /conversations/{username} also closes the conversations whose "
    "username differs only in case",
    "close-deletes": "DELETE removes the conversation and its messages",
    "close-no-ack": "DELETE marks the conversation inactive without acknowledging its messages",
    "close-stays-active": "DELETE acknowledges the messages but leaves the conversation active",
    "out-message-unacked": "outgoing messages are stored unacknowledged",
    "send-no-reactivate": "sending to a closed conversation leaves it inactive",
    "recv-acknowledged": "incoming messages are stored already acknowledged",
    "truncate-long-text": "message texts are stored cut to their first 65,535 UTF-8 bytes (a TEXT column)",
    "truncate-incoming-text": "incoming message texts are stored cut to their first 4,096 characters "
    "(a client library's read buffer)",
    # usernames
    "username-case-insensitive": "usernames are looked up ignoring case",
    "unicode-username-500": "any username with a non-ASCII character answers 500",
    "url-decode-plus": "a '+' in a username path segment is decoded as a space",
    "normalise-username-nfkc": "usernames are NFKC-normalised before they are stored or looked up "
    "(compatibility forms folded, combining marks composed)",
    "strip-username-spaces": "usernames lose their leading and trailing whitespace before they are "
    "stored or looked up",
    "collapse-username-spaces": "runs of whitespace inside a username are collapsed to one space "
    "before it is stored or looked up",
    # protocol
    "auth-bypass-list": "GET /conversations skips authentication",
    "auth-bypass-get": "GET /conversations/{username} skips authentication",
    "auth-bypass-messages": "GET /conversations/{username}/messages skips authentication",
    "auth-bypass-send": "POST /conversations/{username} skips authentication",
    "auth-bypass-ack-one": "PUT /conversations/{username}/{id} skips authentication",
    "auth-bypass-ack-all": "PUT /conversations/{username} skips authentication",
    "auth-bypass-close": "DELETE /conversations/{username} skips authentication",
    "wrong-key-accepted": "any non-empty X-API-Key is accepted",
    "non-json-accepted": "a POST with a text/plain body is accepted (201) instead of 415",
    # searches (conformance/apis/searches/emulation.py)
    "search-state-lowercase": 'search states are written in lower case ("completed, timedout")',
    "search-state-separator": 'states are written "Completed | TimedOut", not "Completed, TimedOut"',
    "search-never-completes": "a search whose timeout passes stays InProgress",
    "search-timeout-not-reset": "an accepted response does not reset the search's timeout",
    "search-response-lost": "a search's first accepted response is neither stored nor counted",
    "search-response-duplicated": "a search's first accepted response is stored twice (counted once)",
    "search-response-counted-twice": "every accepted response adds twice to the counts",
    "search-locked-in-filecount": "fileCount counts a response's locked files too",
    "search-filters-ignored": "responses are accepted whatever the filters say",
    "search-filters-inverted": "the filters keep exactly the responses they should drop",
    "search-min-files-ignored": "minimumResponseFileCount is not applied",
    "search-late-response-accepted": "a response arriving after the search completed is stored and counted",
    "search-wrong-token-accepted": "a response under another token than the search's is accepted",
    "search-ids-reused": "a new search takes the id of the last search once that one has ended",
    "search-cancel-ignored": "PUT /searches/{id} answers 200 and leaves the search running",
    "search-cancel-timedout": "a cancelled search ends 'Completed, TimedOut' instead of Cancelled",
    "search-limit-ignored": "responseLimit never ends a search",
    "search-file-limit-ignored": "fileLimit never ends a search",
    "search-delete-keeps": "DELETE /searches/{id} answers 204 and keeps the search",
    "search-delete-unknown-204": "DELETE /searches/{id} answers 204 for an unknown id",
    "search-get-unknown-200": "GET /searches/{id} answers 200, an empty errored search, for an unknown id",
    "search-list-includes-responses": "GET /searches lists the searches with their responses",
    "search-include-responses-ignored": "GET /searches/{id}?includeResponses=true has no responses",
    "search-concurrency-unbounded": "every search starts at once: no limit of 2 in progress, none Queued",
    "search-logged-out-200": "POST /searches when not logged in answers 200 (the errored search), not 409",
    "search-logged-out-no-row": "POST /searches when not logged in leaves no errored search behind",
    "search-single-char-kept": "one-character terms stay in the query (a text of only those is searched)",
    "search-filename-slashes": "response file names are written with / instead of the peer's \\",
    "search-attributes-swapped": "bitRate and length (sampleRate and bitDepth) are written swapped",
    "search-state-regresses": "the first GET of a started search shows it Queued again (isComplete false)",
    "search-text-trimmed": "searchText is stored (and searched) without its leading and trailing whitespace",
    # transfers (conformance/apis/transfers/emulation.py)
    "transfer-state-lowercase": 'transfer states are written in lower case ("completed, succeeded")',
    "transfer-state-separator": 'states are written "Completed | Succeeded", not "Completed, Succeeded"',
    "transfer-attempts-not-counted": "a retried download is back 'Queued, Locally' with attempts unchanged",
    "transfer-succeeded-errored": "a download whose bytes all arrived ends 'Completed, Errored' (retried)",
    "transfer-rejected-errored": "a download the peer refused or denied ends 'Completed, Errored' (retried)",
    "transfer-rejected-retried": "a rejected download is tried again, as an errored one is",
    "transfer-size-unchecked": "the size the peer announces is never compared with the one asked for",
    "transfer-no-retry": "an errored or timed-out attempt is never tried again",
    "transfer-retry-from-zero": "a retry starts again from byte 0 instead of the bytes that arrived",
    "transfer-bytes-short": "a succeeded download shows bytesTransferred one short of its size",
    "transfer-percent-fraction": "percentComplete is written as a fraction of one (1.0), not a percentage",
    "transfer-cancel-ignored": "DELETE of a running download answers 204 and leaves it running",
    "transfer-cancel-timedout": "a cancelled download ends 'Completed, TimedOut' instead of Cancelled",
    "transfer-remove-ignored": "DELETE …?remove=true of a completed download leaves it listed",
    "transfer-remove-completed-keeps": "DELETE …/downloads/all/completed answers 204 and removes nothing",
    "transfer-remove-completed-unfinished": "DELETE …/all/completed removes unfinished downloads too",
    "transfer-get-unknown-200": "GET of an unknown download id answers 200, an empty transfer",
    "transfer-position-unknown-200": "GET …/position of an unknown download id answers 200 0",
    "transfer-directory-whole-path": "the lists group a download under its whole filename, not its folder",
    "transfer-list-loses-last": "the lists leave out the most recently enqueued download",
    "transfer-empty-accepted": "POST of an empty list of files answers 201, nothing enqueued",
    "transfer-traversal-accepted": "a filename with a '..' segment is accepted and sent to the peer",
    "transfer-offline-201": "an enqueue from an offline user answers 201 (the download stored, then Errored)",
    "transfer-skipped-ignored": "a file already downloading from that user is enqueued again, not skipped",
    "transfer-duplicates-accepted": "a POST naming one file twice enqueues it twice instead of answering 500",
    "transfer-no-limiter": "any number of enqueue requests are served at once: no 429",
    "transfer-enqueued-at-enqueue": "enqueuedAt is set at the enqueue, not when the peer queues it",
    "transfer-enqueue-requested": "the enqueue answers its Transfer 'Requested', not 'Queued, Locally'",
    # users (conformance/apis/users/emulation.py)
    "users-away-online": "GET …/status of an away user answers presence Online",
    "users-offline-404": "GET …/status of an offline or unknown user answers 404, not 200 Offline",
    "users-endpoint-offline-200": "GET …/endpoint of an offline user answers 200 0.0.0.0:0, not 404",
    "users-endpoint-port-swapped": "GET …/endpoint answers the port with its two bytes swapped",
    "users-info-offline-500": "GET …/info of an offline or unknown user answers 500, not 404",
    "users-picture-dropped": "GET …/info leaves out the peer's picture (hasPicture false)",
    "users-browse-file-lost": "a browse leaves out the last file of the peer's first folder",
    "users-browse-locked-dropped": "a browse leaves out the peer's locked folders",
    "users-full-path-names": "the files of a browse and a folder's contents carry full paths, not bare names",
    "users-directory-name-bare": "a directory is named by its last path segment, not its full path",
    "users-file-count-off-by-one": "each directory's fileCount is one more than its files",
    "users-directory-wrong-folder": "POST …/directory answers the first open folder, whatever was asked",
    "users-directory-400-missing": 'POST …/directory with no directory (or "") asks the peer: no 400',
    "users-failure-200": "a peer that does not answer in time or drops the connection answers 200, empty",
    "users-browse-status-forgotten": "GET …/browse/status answers 404 right after a browse ended",
    # rooms (conformance/apis/rooms/emulation.py)
    "room-message-lost": "a room's first message from another member is neither stored nor shown",
    "room-say-stored-at-send": "a message POSTed to a room is stored at once, and again when the server "
    "echoes it",
    "room-messages-swapped": "a room's messages are returned newest first",
    "room-leaver-kept": "a member who left a room (UserLeftRoom) stays among its users",
    "room-self-missing": "the target itself is left out of the users of a room it joined",
    "room-already-joined-201": "a join of a room already joined joins it again and answers 201",
    "room-users-404": "GET /rooms/joined/{roomName}/users of a joined room answers 404",
    "room-case-folded": "room names are looked up ignoring case",
    "room-self-flag-wrong": "the self flag marks every user and message but the target's own",
    "room-refused-201": "a join the server refuses answers 201 with an empty room, tracked as joined",
    "room-leave-kept": "DELETE /rooms/joined/{roomName} answers 204 and keeps the room joined",
    "room-window-100": "a room keeps its latest 100 messages instead of 250",
    "room-available-private-public": "the private rooms of the server's list are listed with isPrivate false",
}


# Which operation of the reference app each `auth-bypass-*` fault exempts from authentication.
AUTH_BYPASSES: dict[str, str] = {
    "auth-bypass-list": "list_conversations",
    "auth-bypass-get": "get_conversation",
    "auth-bypass-messages": "messages",
    "auth-bypass-send": "send",
    "auth-bypass-ack-one": "acknowledge",
    "auth-bypass-ack-all": "acknowledge_all",
    "auth-bypass-close": "close",
}


def bypassed(faults: Iterable[str]) -> frozenset[str]:
    """The operations `faults` exempt from authentication."""
    return frozenset(AUTH_BYPASSES[fault] for fault in faults if fault in AUTH_BYPASSES)


def validate_faults(names: Iterable[str]) -> frozenset[str]:
    """The fault names as a set; a name the registry does not know is a usage error."""
    chosen = frozenset(names)
    unknown = sorted(chosen - FAULTS.keys())
    if unknown:
        raise ValueError(f"unknown fault {', '.join(unknown)}; known faults: {', '.join(sorted(FAULTS))}")
    return chosen

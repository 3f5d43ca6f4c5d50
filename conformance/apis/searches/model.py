"""A model of slskd's search: what a search asked for, and what the network says it must hold.

Pure Python, no HTTP. A search is judged, once it has ended, against the oracle: what the
network knows was sent for it (`ctx.network.searches()`, contract §2: every FileSearch it
received and every response a peer sent, with its moment). The rules, each one sentence of
slskd's behaviour (shared/soulseek/peers-and-apis.md §1.1 step 4-5, §3.1):

- a response is *eligible* when it carries the search's token and, with `filterResponses`
  (the default), has at least `minimumResponseFileCount` files (locked ones included), an
  upload speed of at least `minimumPeerUploadSpeed` and a queue shorter than
  `maximumPeerQueueLength`; eligible responses are accepted while the search is in progress;
- a response is *timely* when sent at least `MARGIN` seconds before the search's `endedAt`,
  *late* when sent at least `MARGIN` after it; between, it is not judged (never flaky);
- a search that timed out holds exactly its timely eligible responses; one that ended by a
  limit or a cancel holds a subset of the eligible ones not late, as many as `responseCount`;
- counts are sums over the stored responses; each stored response is, field by field, one
  the network carried.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from conformance.apis.searches.ids import Search
from conformance.apis.searches.reading import count, response_key

MARGIN = 0.5  # seconds around endedAt in which a response is neither timely nor late
START_SLACK = 0.3  # seconds a timed-out search may end before startedAt + timeout (clock grain)
END_SLACK = 1.5  # seconds past its due end a timed-out search may still be running

# Soulseek.NET's defaults for what the POST leaves out
DEFAULT_MIN_FILES = 1
DEFAULT_MAX_QUEUE = 1_000_000
DEFAULT_MIN_SPEED = 0
DEFAULT_RESPONSE_LIMIT = 250
DEFAULT_FILE_LIMIT = 25_000


@dataclass(frozen=True)
class Finding:
    """One verdict the model reaches: which requirement, whether it held, and why not."""

    requirement: str
    ok: bool
    message: str = ""


@dataclass(frozen=True)
class SearchSpec:
    """What a client asks for in POST /searches (None: left out, slskd's default applies)."""

    text: str
    timeout: int | None = None  # in the target's unit (`timeout_unit`)
    response_limit: int | None = None
    file_limit: int | None = None
    filter_responses: bool | None = None
    min_files: int | None = None
    max_queue: int | None = None
    min_speed: int | None = None

    def body(self) -> dict[str, Any]:
        fields = {
            "searchText": self.text,
            "searchTimeout": self.timeout,
            "responseLimit": self.response_limit,
            "fileLimit": self.file_limit,
            "filterResponses": self.filter_responses,
            "minimumResponseFileCount": self.min_files,
            "maximumPeerQueueLength": self.max_queue,
            "minimumPeerUploadSpeed": self.min_speed,
        }
        return {name: value for name, value in fields.items() if value is not None}

    @property
    def responses_allowed(self) -> int:
        return DEFAULT_RESPONSE_LIMIT if self.response_limit is None else self.response_limit

    @property
    def files_allowed(self) -> int:
        return DEFAULT_FILE_LIMIT if self.file_limit is None else self.file_limit

    def passes_filters(self, response: dict[str, Any]) -> bool:
        """Whether slskd's filters keep `response` (always, with filterResponses=false)."""
        if self.filter_responses is False:
            return True
        files = (count(response, "fileCount") or 0) + (count(response, "lockedFileCount") or 0)
        min_files = DEFAULT_MIN_FILES if self.min_files is None else self.min_files
        max_queue = DEFAULT_MAX_QUEUE if self.max_queue is None else self.max_queue
        min_speed = DEFAULT_MIN_SPEED if self.min_speed is None else self.min_speed
        return (
            files >= min_files
            and (count(response, "uploadSpeed") or 0) >= min_speed
            and (count(response, "queueLength") or 0) < max_queue
        )


@dataclass(frozen=True)
class Sent:
    """One response the network carried for the search: who, when, what."""

    peer: str
    sent_at: float
    response: dict[str, Any]

    @classmethod
    def of(cls, entry: dict[str, Any]) -> Sent:
        return cls(
            str(entry.get("peer")), float(entry.get("sent_at", 0.0)), dict(entry.get("response") or {})
        )


@dataclass
class Ended:
    """A search as it ended, and what the checker did to it."""

    spec: SearchSpec
    token: int
    reason: str
    started_at: float
    ended_at: float
    counts: dict[str, int | None]  # responseCount, fileCount, lockedFileCount as the search shows them
    stored: list[dict[str, Any]]  # GET …/responses after completion
    timeout_s: float | None  # the timeout in seconds (None: not known)
    cancelled_at: float | None = None  # when the checker's PUT was answered, if it cancelled
    sent: list[Sent] = field(default_factory=list)

    def timely(self, sent: Sent) -> bool:
        return sent.sent_at <= self.ended_at - MARGIN

    def late(self, sent: Sent) -> bool:
        return sent.sent_at >= self.ended_at + MARGIN

    def right_token(self, sent: Sent) -> bool:
        return sent.response.get("token") == self.token

    def eligible(self, sent: Sent) -> bool:
        return self.right_token(sent) and self.spec.passes_filters(sent.response)


def same_file(stored: Any, sent: dict[str, Any]) -> bool:
    """A stored file record shows what the peer sent: every field the peer's record has, equal;
    no attribute the peer left out (an absent attribute is omitted, or null)."""
    if not isinstance(stored, dict):
        return False
    extra = {"bitRate", "length", "isVariableBitRate", "sampleRate", "bitDepth"} - set(sent)
    return all(stored.get(key) == value for key, value in sent.items()) and all(
        stored.get(key) is None for key in extra
    )


def differences(stored: dict[str, Any], sent: dict[str, Any]) -> list[str]:
    """The fields in which a stored response differs from the one sent (files by position)."""
    wrong = [
        key
        for key in (
            "username",
            "fileCount",
            "lockedFileCount",
            "hasFreeUploadSlot",
            "uploadSpeed",
            "queueLength",
        )
        if stored.get(key) != sent.get(key)
    ]
    for key in ("files", "lockedFiles"):
        mine, theirs = stored.get(key), sent.get(key) or []
        same = isinstance(mine, list) and len(mine) == len(theirs)
        if not (same and all(same_file(a, b) for a, b in zip(mine, theirs, strict=True))):
            wrong.append(key)
    return wrong


def judge_responses(ended: Ended) -> list[Finding]:
    """Every verdict on the stored responses and the counts of a search that has ended."""
    findings: list[Finding] = []
    by_peer = {sent.peer: sent for sent in ended.sent}
    stored_keys = [response_key(r) for r in ended.stored]
    duplicated = sorted({key for key in stored_keys if stored_keys.count(key) > 1})
    findings.append(
        Finding(Search.SEARCH_RESPONSES_EXACT, not duplicated, f"stored more than once: {duplicated}")
    )
    unknown = [key for key in stored_keys if key not in by_peer]
    findings.append(
        Finding(
            Search.SEARCH_RESPONSES_EXACT, not unknown, f"stored responses no peer sent for it: {unknown}"
        )
    )
    wrong_token = [key for key in stored_keys if key in by_peer and not ended.right_token(by_peer[key])]
    findings.append(
        Finding(
            Search.SEARCH_RESPONSES_TOKEN,
            not wrong_token,
            f"stored responses sent under another token than {ended.token}: {wrong_token}",
        )
    )
    stored_token = [
        key for key, r in zip(stored_keys, ended.stored, strict=True) if r.get("token") != ended.token
    ]
    findings.append(
        Finding(
            Search.SEARCH_RESPONSES_EXACT,
            not stored_token,
            f"stored with a token not {ended.token}: {stored_token}",
        )
    )
    filtered = [
        key
        for key in stored_keys
        if key in by_peer
        and ended.right_token(by_peer[key])
        and not ended.spec.passes_filters(by_peer[key].response)
    ]
    findings.append(
        Finding(
            Search.SEARCH_RESPONSES_FILTERED, not filtered, f"stored responses its filters drop: {filtered}"
        )
    )
    late = [key for key in stored_keys if key in by_peer and ended.late(by_peer[key])]
    findings.append(
        Finding(
            Search.SEARCH_RESPONSES_LATE_DROPPED, not late, f"stored responses sent after it ended: {late}"
        )
    )
    wrong_fields = {
        key: differences(r, by_peer[key].response)
        for key, r in zip(stored_keys, ended.stored, strict=True)
        if key in by_peer
    }
    wrong_fields = {key: fields for key, fields in wrong_fields.items() if fields}
    findings.append(
        Finding(
            Search.SEARCH_RESPONSES_EXACT,
            not wrong_fields,
            f"stored responses differ from what was sent in {wrong_fields}",
        )
    )
    if ended.reason == "TimedOut":
        missing = [
            s for s in ended.sent if ended.eligible(s) and ended.timely(s) and s.peer not in stored_keys
        ]
        kept_by_filters = [s.peer for s in missing if not _filters_on(ended.spec).passes_filters(s.response)]
        lost = [s.peer for s in missing if s.peer not in kept_by_filters]
        findings.append(
            Finding(
                Search.SEARCH_RESPONSES_EXACT, not lost, f"timed out without responses sent in time: {lost}"
            )
        )
        findings.append(
            Finding(
                Search.SEARCH_RESPONSES_FILTERED,
                not kept_by_filters,
                f"filterResponses=false, yet the filters dropped {kept_by_filters}",
            )
        )
    elif ended.reason in ("ResponseLimitReached", "FileLimitReached", "Cancelled"):
        findings.append(
            Finding(
                Search.SEARCH_RESPONSES_EXACT,
                len(ended.stored) == ended.counts.get("responseCount"),
                f"ended {ended.reason} holding {len(ended.stored)} responses, responseCount "
                f"{ended.counts.get('responseCount')}",
            )
        )
    files = sum(count(r, "fileCount") or 0 for r in ended.stored)
    locked = sum(count(r, "lockedFileCount") or 0 for r in ended.stored)
    shown = ended.counts
    sums = {"responseCount": len(ended.stored), "fileCount": files, "lockedFileCount": locked}
    findings.append(
        Finding(Search.SEARCH_COUNTS, shown == sums, f"counts {shown}, its stored responses sum to {sums}")
    )
    return findings


def _filters_on(spec: SearchSpec) -> SearchSpec:
    """The same search with the filters applied (to tell a loss from filtering ignored)."""
    return SearchSpec(**{**spec.__dict__, "filter_responses": True})


def judge_ending(ended: Ended) -> list[Finding]:
    """Whether the reason a search ended for matches what happened."""
    findings: list[Finding] = []
    reason, shown = ended.reason, ended.counts
    responses, files = shown.get("responseCount") or 0, shown.get("fileCount") or 0
    spec = ended.spec
    if reason == "ResponseLimitReached":
        findings.append(
            Finding(
                Search.SEARCH_COMPLETE_REASON,
                responses >= spec.responses_allowed,
                f"ResponseLimitReached with {responses} of a limit of {spec.responses_allowed}",
            )
        )
    elif reason == "FileLimitReached":
        findings.append(
            Finding(
                Search.SEARCH_COMPLETE_REASON,
                files >= spec.files_allowed,
                f"FileLimitReached with {files} files of a limit of {spec.files_allowed}",
            )
        )
    elif reason == "Errored":
        findings.append(Finding(Search.SEARCH_COMPLETE_REASON, False, "ended Errored, though nothing failed"))
    elif reason == "Cancelled":
        findings.append(
            Finding(
                Search.SEARCH_COMPLETE_REASON,
                ended.cancelled_at is not None,
                "Cancelled, yet nobody cancelled it",
            )
        )
    elif reason == "TimedOut":
        findings.append(
            Finding(
                Search.SEARCH_LIMIT_RESPONSES,
                responses < spec.responses_allowed,
                f"timed out with {responses} responses, past its limit of {spec.responses_allowed}",
            )
        )
        findings.append(
            Finding(
                Search.SEARCH_LIMIT_FILES,
                files < spec.files_allowed,
                f"timed out with {files} files, past its limit of {spec.files_allowed}",
            )
        )
        if ended.timeout_s is not None and ended.cancelled_at is None:
            findings.append(
                Finding(
                    Search.SEARCH_TIMEOUT_ENDS,
                    ended.ended_at >= ended.started_at + ended.timeout_s - START_SLACK,
                    f"timed out {ended.ended_at - ended.started_at:.2f} s after it started, "
                    f"its timeout being {ended.timeout_s:g} s",
                )
            )
            accepted = {response_key(r) for r in ended.stored}
            last = max(
                (s.sent_at for s in ended.sent if s.peer in accepted and ended.timely(s)), default=None
            )
            if last is not None:
                findings.append(
                    Finding(
                        Search.SEARCH_TIMEOUT_RESET,
                        ended.ended_at >= last + ended.timeout_s - MARGIN,
                        f"timed out {ended.ended_at - last:.2f} s after accepting a response, its "
                        f"timeout being {ended.timeout_s:g} s: the response did not reset it",
                    )
                )
    if ended.cancelled_at is not None:
        findings.append(
            Finding(
                Search.SEARCH_CANCEL_STATE,
                reason == "Cancelled" or (ended.ended_at <= ended.cancelled_at and ended_by_itself(ended)),
                f"cancelled while in progress, it ended {reason} "
                f"{ended.ended_at - ended.cancelled_at:.2f} s after the cancel",
            )
        )
    return findings


def ended_by_itself(ended: Ended) -> bool:
    """Whether a search the checker cancelled had ended on its own first: by a limit it had
    reached, or by its timeout once that had passed (the cancel then came too late)."""
    if ended.reason == "TimedOut":
        return (
            ended.timeout_s is not None and ended.ended_at >= ended.started_at + ended.timeout_s - START_SLACK
        )
    return ended.reason in ("ResponseLimitReached", "FileLimitReached")


def collapse(findings: Iterable[Finding]) -> list[Finding]:
    """One finding per requirement, in the order first met: its first failure, else a pass
    (a search polled twenty times is one verdict of each requirement, not twenty)."""
    kept: dict[str, Finding] = {}
    for finding in findings:
        if finding.requirement not in kept or (kept[finding.requirement].ok and not finding.ok):
            kept[finding.requirement] = finding
    return list(kept.values())


def judge_running(
    spec: SearchSpec, token: int, running: list[dict[str, Any]], sent: Iterable[Sent]
) -> list[Finding]:
    """Responses a running search shows (documented: the ones accepted so far): each one the
    network carried for it, eligible, once."""
    eligible = {s.peer for s in sent if s.response.get("token") == token and spec.passes_filters(s.response)}
    keys = [response_key(r) for r in running]
    stray = sorted({k for k in keys if k not in eligible or keys.count(k) > 1})
    return [Finding(Search.SEARCH_RESPONSES_EXACT, not stray, f"while in progress it showed {stray}")]

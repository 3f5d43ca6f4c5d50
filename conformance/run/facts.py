"""What a run learned about its target, as plain data that can cross process boundaries.

Under pytest-xdist every worker reaches the target itself and sends its facts to the
controller, which folds them (requests and cases add up, notes and skips are merged) and
writes the one results document.
"""

from __future__ import annotations

from typing import Any

from conformance.cli.config import RunConfig
from conformance.results.collector import CaseRecorder, RunResults
from conformance.run.target import Target
from conformance.transport.session import GuardedSession

Facts = dict[str, Any]
SAID_ONCE = ("notes", "cut_short", "cleanup")  # lists of sentences: each worker's, each said once


def target_facts(
    target: Target,
    session: GuardedSession,
    config: RunConfig,
    cut_short: list[str],
    cleanup: list[str],
    recorder: CaseRecorder,
    results: RunResults,
) -> Facts:
    """`cut_short`: why tests stopped without judging; `cleanup`: what cleanup could not undo."""
    info = target.info
    return {
        "url": target.base_url,
        "kind": target.kind,
        "version": info.version,
        "version_source": info.version_source,
        "authentication": info.authentication.as_json(),
        "notes": [*config.notes, *info.notes, *_redirect_notes(session)],
        "cut_short": list(cut_short),
        "cleanup": list(cleanup),
        "requests": recorder.requests,
        "cases": recorder.cases,
        "skipped": dict(results.skipped),
    }


def _redirect_notes(session: GuardedSession) -> list[str]:
    """Redirects the session answered but did not follow, said once with the first example."""
    unfollowed = session.unfollowed_redirects
    if not unfollowed:
        return []
    return [f"{len(unfollowed)} redirect(s) not followed, e.g. {unfollowed[0]}"]


def fold(folded: Facts | None, worker: Facts) -> Facts:
    """`folded` with one more worker's facts added (the first worker's target facts are kept)."""
    base = folded or {**worker, "requests": 0, "cases": 0, **{said: [] for said in SAID_ONCE}}
    return {
        **base,
        "requests": base["requests"] + worker["requests"],
        "cases": base["cases"] + worker["cases"],
        **{said: list(dict.fromkeys([*base[said], *worker[said]])) for said in SAID_ONCE},
    }

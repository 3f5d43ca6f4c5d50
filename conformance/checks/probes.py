"""Deterministic scenarios: the fixed request sequences that pin each requirement down.

Fuzzing and the state machine explore; a probe asks one precise question (does an unknown
username get 404? does a write leave what it should?) the same way on every run, so
a fault is caught whatever the seed. An API's probe (`Api.probe`) adds that API's calls and
names its operations, so that their answers are judged per response too. A probe records
every verdict it reaches and fails the pytest item with the list of defects at the end, so
one run shows all of them.
"""

from __future__ import annotations

import itertools
import secrets
from contextlib import AbstractContextManager
from typing import Any

import pytest
import requests

from conformance.checks.context import SuiteContext, request_line
from conformance.checks.responses import check_response
from conformance.requirements.catalogue import Need

_names = itertools.count(1)
_NONCE = secrets.token_hex(3)
JSON = "application/json"


class Probe:
    """One scenario's view of the target: calls that are judged, verdicts that are recorded."""

    def __init__(self, ctx: SuiteContext) -> None:
        self.ctx = ctx
        self.defects: list[str] = []
        ctx.begin_case()

    # --- asking ---------------------------------------------------------------------------
    def call(self, method: str, *segments: str | int, **kwargs: Any) -> requests.Response:
        """Send through the run's session; the answer is judged by every per-response check
        when the operation is one this probe names (`operation`)."""
        response = self.ctx.call(method, *segments, **kwargs)
        if (label := self.operation(method, segments)) is not None:
            self.defects += [f"{r}: see evidence" for r in check_response(self.ctx, label, response)]
        return response

    def operation(self, method: str, segments: tuple[str | int, ...]) -> str | None:
        """The spec's label of the operation a call reaches (`GET /items/{id}`), for an API's
        probe to name; None (not judged per response) for a call no API's probe knows."""
        return None

    # --- judging --------------------------------------------------------------------------
    def check(self, requirement: str, ok: bool, message: str = "") -> bool:
        """Record a verdict (when the requirement applies to this target's version)."""
        if self.ctx.judge.verdict(requirement, ok, message, check="probe"):
            self.defects.append(f"{requirement}: {message}")
        return ok

    def expect_status(self, requirement: str, response: requests.Response, *expected: int) -> bool:
        """The status is one of `expected`, or another reading the docs allow for `requirement`."""
        status = response.status_code
        return self.check(
            requirement,
            status in expected or self.ctx.judge.accepts(requirement, status),
            f"{request_line(response)} answered {status}, expected " + " or ".join(map(str, expected)),
        )

    def stores_nothing(self, username: str, requirement: str) -> AbstractContextManager[None]:
        """The requests inside must leave what `username` has on the target unchanged: what that
        is (and how it is opened first) only an API's probe knows (`Api.probe`)."""
        raise NotImplementedError(f"{type(self).__name__} cannot tell what a user's state holds")

    def done(self) -> None:
        if self.defects:
            pytest.fail("\n".join(dict.fromkeys(self.defects)), pytrace=False)

    # --- usernames ------------------------------------------------------------------------
    def fresh_user(self, stem: str = "probe") -> str:
        """A username nothing on the target names yet; only where the profile lets us invent names."""
        if self.ctx.writable_users is not None or not self.ctx.can_write:
            pytest.skip("needs a fresh username: the profile allows writes only to --peer usernames")
        return suffixed(stem, f"{_NONCE}-{next(_names)}")

    def writable_user(self) -> str:
        """A username writes may go to: a fresh one, or the first allowlisted peer."""
        if not self.ctx.can_write:
            pytest.skip("needs writes: the read-only profile sends only GETs")
        if self.ctx.writable_users is None:
            return self.fresh_user()
        return self.ctx.writable_users[0]

    def echo_peer(self) -> str:
        self.require(Need.INCOMING)
        if not self.ctx.echo_peers or not self.ctx.can_write:
            pytest.skip("needs an echo peer (--echo-peer) that answers what it is sent")
        return self.ctx.echo_peers[0]

    def require(self, need: Need) -> None:
        """Skip the probe, naming what is missing, when the target cannot show what it needs."""
        if missing := self.ctx.offers.missing(need):
            pytest.skip(missing)


def suffixed(stem: str, suffix: str) -> str:
    """`stem` made unique by `suffix`, inside the whitespace around it, so that a stem with
    outer spaces gives a username with outer spaces."""
    lead, trail = stem[: len(stem) - len(stem.lstrip())], stem[len(stem.rstrip()) :]
    return f"{lead}{stem.strip()}-{suffix}{trail}"


def unknown_user() -> str:
    """A username the target knows nothing of (reads only: never written to)."""
    return f"nobody-{_NONCE}-{next(_names)}"

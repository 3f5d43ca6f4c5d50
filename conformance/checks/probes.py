"""Deterministic scenarios: the fixed request sequences that pin each requirement down.

Fuzzing and the state machine explore; a probe asks one precise question (does an unknown
username get 404? is a closed conversation still readable?) the same way on every run, so
a fault is caught whatever the seed. A probe records every verdict it reaches and fails
the pytest item with the list of defects at the end, so one run shows all of them.
"""

from __future__ import annotations

import itertools
import json
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests

from conformance.checks.context import SuiteContext, request_line
from conformance.checks.responses import an_object, check_response, json_body, objects
from conformance.requirements.catalogue import Need

_names = itertools.count(1)
_NONCE = secrets.token_hex(3)
JSON = "application/json"


def operation_label(method: str, segments: tuple[str | int, ...]) -> str:
    """The spec's label for a conversations route, from the concrete segments."""
    tail = {1: "", 2: "/{username}", 3: "/{username}/messages" if segments[-1] == "messages" else ""}
    if len(segments) == 3 and segments[-1] != "messages":
        tail[3] = "/{username}/{id}"
    return f"{method} /conversations{tail[len(segments)]}"


class Probe:
    """One scenario's view of the target: calls that are judged, verdicts that are recorded."""

    def __init__(self, ctx: SuiteContext) -> None:
        self.ctx = ctx
        self.defects: list[str] = []
        ctx.begin_case()

    # --- asking ---------------------------------------------------------------------------
    def call(self, method: str, *segments: str | int, **kwargs: Any) -> requests.Response:
        response = self.ctx.call(method, *segments, **kwargs)
        if segments and segments[0] == "conversations":
            label = operation_label(method, segments)
            self.defects += [f"{r}: see evidence" for r in check_response(self.ctx, label, response)]
        return response

    def send(self, username: str, message: Any = "hello from slskd-conformance") -> requests.Response:
        """POST `message` as a JSON document (JSON null included, which `json=None` would drop)."""
        return self.call(
            "POST", "conversations", username, data=json.dumps(message), headers={"Content-Type": JSON}
        )

    def send_awaiting_reply(self, peer: str, message: str) -> requests.Response:
        """Send to an echo peer and wait (briefly) until its answer is stored: over a real
        network it arrives after the 201, and a close or a count taken before it would be judged
        against a conversation the reply then changes (it reactivates a closed one)."""
        before = self._incoming_ids(peer)
        response = self.send(peer, message)
        if response.status_code < 300:
            for pause in self.ctx.reply_polls:
                time.sleep(pause)
                if self._incoming_ids(peer) - before:
                    break
        return response

    def _incoming_ids(self, peer: str) -> set[Any]:
        return {m.get("id") for m in self.messages(peer) if m.get("direction") == "In"}

    def conversation(self, username: str, **params: Any) -> dict[str, Any] | None:
        response = self.call("GET", "conversations", username, params=params or None)
        return an_object(json_body(response)) if response.status_code == 200 else None

    def messages(self, username: str, **params: Any) -> list[dict[str, Any]]:
        response = self.call("GET", "conversations", username, "messages", params=params or None)
        return objects(json_body(response)) if response.status_code == 200 else []

    def listing(self, **params: Any) -> list[dict[str, Any]]:
        return objects(json_body(self.call("GET", "conversations", params=params or None)))

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

    @contextmanager
    def stores_nothing(self, username: str, requirement: str) -> Iterator[None]:
        """The requests inside must leave `username`'s conversation (opened first) unchanged."""
        self.send(username)
        before = len(self.messages(username))
        yield
        after = len(self.messages(username))
        self.check(requirement, after == before, f"{after - before} rejected message(s) were stored")

    def done(self) -> None:
        if self.defects:
            pytest.fail("\n".join(dict.fromkeys(self.defects)), pytrace=False)

    # --- usernames ------------------------------------------------------------------------
    def fresh_user(self, stem: str = "probe") -> str:
        """A username no conversation has yet; only where the profile lets us invent names."""
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

    @property
    def send_status(self) -> int:
        """What a valid send answers here: 201, or 500 on a target not logged in to Soulseek."""
        return 201 if self.ctx.sends_succeed else 500


def suffixed(stem: str, suffix: str) -> str:
    """`stem` made unique by `suffix`, inside the whitespace around it, so that a stem with
    outer spaces gives a username with outer spaces."""
    lead, trail = stem[: len(stem) - len(stem.lstrip())], stem[len(stem.rstrip()) :]
    return f"{lead}{stem.strip()}-{suffix}{trail}"


def unknown_user() -> str:
    """A username that nobody has a conversation with (reads only: never written to)."""
    return f"nobody-{_NONCE}-{next(_names)}"

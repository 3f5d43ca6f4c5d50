"""Conversations' probe: the calls its probes and scenarios make, each answer judged.

The engine's `Probe` asks and judges; this one knows the API's routes (so every answer is
checked per response under its operation's label), sends messages as JSON documents, waits
for an echo peer's reply, and reads a conversation, its messages and the list.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests

from conformance.checks.probes import JSON, Probe
from conformance.checks.responses import an_object, json_body, objects


def operation_label(method: str, segments: tuple[str | int, ...]) -> str:
    """The spec's label for a conversations route, from the concrete segments."""
    tail = {1: "", 2: "/{username}", 3: "/{username}/messages" if segments[-1] == "messages" else ""}
    if len(segments) == 3 and segments[-1] != "messages":
        tail[3] = "/{username}/{id}"
    return f"{method} /conversations{tail[len(segments)]}"


class ConversationProbe(Probe):
    """A `Probe` that speaks Conversations."""

    def operation(self, method: str, segments: tuple[str | int, ...]) -> str | None:
        return operation_label(method, segments) if segments and segments[0] == "conversations" else None

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

    @contextmanager
    def stores_nothing(self, username: str, requirement: str) -> Iterator[None]:
        """The requests inside must leave `username`'s conversation (opened first) unchanged."""
        self.send(username)
        before = len(self.messages(username))
        yield
        after = len(self.messages(username))
        self.check(requirement, after == before, f"{after - before} rejected message(s) were stored")

    @property
    def send_status(self) -> int:
        """What a valid send answers here: 201, or 500 on a target not logged in to Soulseek."""
        return 201 if self.ctx.sends_succeed else 500

"""The username pool of the state machine: which names an example may write to.

slskd keeps conversations across examples, and a live one has conversations of its own:
fixed usernames (echo peers, allowlisted users) are adopted from the server the first time
an example touches them; every other username carries a fresh per-example suffix, so
examples never see each other's data. The pool also holds names that slskd must keep apart
(Alice, alice, ALICE) or carry through its routes unchanged (unicode, reserved characters).
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

from conformance.apis.conversations.effects import ADOPTED
from conformance.apis.conversations.ids import Conv
from conformance.apis.conversations.listing import ListComparison
from conformance.apis.conversations.model import WINDOW
from conformance.apis.conversations.reading import message_of
from conformance.checks.context import SuiteContext
from conformance.checks.probes import suffixed
from conformance.checks.responses import json_body

# Usernames that slskd must keep apart or carry through its routes unchanged ("Zoë" twice:
# composed and decomposed, which slskd must not normalise into one conversation; a ligature
# with spaces around and inside it, which it must neither fold nor trim nor collapse).
CASE_VARIANTS = ("Alice", "alice", "ALICE")
ROUNDTRIP_NAMES = (
    "Zoë", "Zoe\u0308", "名前", "with space", "a/b", "what?", "100%", "c+d", "#hash", "😀", " \ufb01  x ",
)  # fmt: skip


@dataclass(frozen=True)
class Usernames:
    """The names an example may write to: `stems` get a fresh suffix per example, `fixed`
    names (echo peers, allowlisted users) are used as they are and adopted from the server."""

    stems: tuple[str, ...]
    fixed: tuple[str, ...]
    echo_peers: tuple[str, ...]

    @classmethod
    def for_target(cls, ctx: SuiteContext) -> Usernames:
        peers = tuple(
            p
            for p in ctx.echo_peers
            if ctx.sends_succeed and ctx.may_write_to(p) and p not in ctx.blacklisted
        )  # not logged in to Soulseek, no peer hears a send
        if ctx.writable_users is None:
            stems = CASE_VARIANTS + (ROUNDTRIP_NAMES if ctx.applies(Conv.USER_ROUNDTRIP) else ())
            return cls(stems, peers, peers)
        fixed = tuple(
            u
            for u in ctx.writable_users
            if ctx.may_write_to(u) and u not in peers and u not in ctx.blacklisted
        )
        return cls((), fixed + peers, peers)

    @property
    def senders(self) -> tuple[str, ...]:
        """Who a plain send may go to: never an echo peer, whose reply the model must expect."""
        return self.stems + tuple(u for u in self.fixed if u not in self.echo_peers)


def favouring(names: tuple[str, ...], favourites: tuple[str, ...]) -> st.SearchStrategy[str]:
    """Any of `names`, the favourites half the time, so that an example comes back to the
    same conversations (and meets Alice next to alice)."""
    chosen = tuple(name for name in favourites if name in names) or names
    return st.sampled_from(chosen) | st.sampled_from(names)


class UsernamePool(ListComparison):
    """The machine's usernames: a pool name → this example's username, and which
    conversations the model vouches for (it knows them, or knows they do not exist)."""

    names: Usernames
    silent_peers: set[str]  # echo peers that did not answer: no longer modelled (per run)
    suffix: str

    def username(self, name: str) -> str:
        """The real username of a pool name in this example; fixed names are adopted first."""
        if name not in self.names.fixed:
            return suffixed(name, self.suffix)
        if name not in self.vouched and name not in self.silent_peers and name not in self.effects:
            self.adopt(name)
        return name

    def trusts(self, username: str) -> bool:
        return username in self.vouched

    def unread(self) -> list[str]:
        """The conversations this example vouches for that hold unacknowledged messages."""
        return [u for u in self.model.usernames if self.trusts(u) and self.model.get(u).unacknowledged]

    def adopt(self, username: str) -> None:
        """Take over what the server holds for a fixed username before predicting anything.

        An echo peer's unread messages are acknowledged first (it consented to our writes):
        otherwise whether a step fails would depend on what earlier examples left unread,
        and Hypothesis could not replay a failure."""
        if username in self.names.echo_peers:
            self.request("PUT", username, expected=(200, 404), requirement=Conv.CONV_ACK_ALL_200)
        response = self.request("GET", username, expected=(200, 404), requirement=Conv.CONV_GET_OK)
        body = json_body(response)
        self.effects[username] = ADOPTED
        if response.status_code == 404 or not isinstance(body, dict):
            self.model.forget(username)
            self.vouched.add(username)
            return
        window = [m for m in map(message_of, body.get("messages") or []) if m is not None]
        unacknowledged = body.get("unAcknowledgedMessageCount", 0)
        if len(window) >= WINDOW:  # older unread messages may hide behind a full window
            listing = json_body(
                self.request("GET", params={"includeInactive": "true"}, requirement=Conv.CONV_LIST_OK)
            )
            unacknowledged = next(
                (
                    item.get("unAcknowledgedMessageCount", 0)
                    for item in listing or []
                    if item.get("username") == username
                ),
                unacknowledged,
            )
        self.model.adopt(
            username, active=bool(body.get("isActive")), window=window, unacknowledged=unacknowledged
        )
        self.vouched.add(username)

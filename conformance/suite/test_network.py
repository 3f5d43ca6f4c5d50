"""What only the Soulseek network can see: probes that read the simulated network's records.

With `--network-control` (the control API of the `conformance network` the target is logged in
to), a send, an acknowledgement or an incoming message can be compared with what crossed the
Soulseek protocol: the network records every private message and acknowledgement it receives
and every message it delivers, with the id and whole-second timestamp it assigned. Incoming
messages come from a *silent* peer of the network (one that never answers), so no other check's
conversations change under it. Without `--network-control` these requirements are skipped.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, NoReturn, TypeVar

import pytest

from conformance.apis.conversations.ids import Conv
from conformance.apis.conversations.probes import ConversationProbe
from conformance.apis.conversations.texts import LONG, label, spread
from conformance.checks.context import SuiteContext
from conformance.checks.responses import json_body
from conformance.cli.config import RunConfig
from conformance.network.control_client import ControlClient, ControlError
from conformance.requirements.registry import check

SETTLE_S = 3.0  # how long a message or an acknowledgement may take to cross the network
RELOGIN_S = 30.0  # how long the target may take to log in again after its connection dropped
POLL_S = 0.05
T = TypeVar("T")
NETWORK_REQUIREMENTS = (
    Conv.NET_SEND_DELIVERED,
    Conv.NET_RECV_TIMESTAMP,
    Conv.NET_ACK_ONE_SENDS_ID,
    Conv.NET_ACK_ALL_SENDS_IDS,
    Conv.NET_RECV_REPLAYED,
)
# A recipient a normaliser would rewrite: surrounding and doubled spaces, a combining mark, a ligature.
NETWORK_STEM = " Zoe\u0308  \ufb01 "
ACKNOWLEDGING_ALL = (("PUT", Conv.CONV_ACK_ALL_200, 200), ("DELETE", Conv.CONV_CLOSE_204, 204))


class Network:
    """The network's records, as seen by one account: the target's Soulseek user."""

    def __init__(self, control: ControlClient, username: str, peer: str) -> None:
        self.control, self.username, self.peer = control, username, peer

    def account(self) -> dict[str, Any]:
        return self.control.account(self.username)

    def sent_with(self, text: str) -> list[dict[str, Any]]:
        return [m for m in self.account()["sent"] if m["message"] == text]

    def acknowledged(self) -> list[int]:
        return list(self.account()["acknowledged"])

    def session_port(self) -> int | None:
        """The remote port of the target's connection to the network (None: not logged in)."""
        found = [s for s in self.control.sessions() if s.get("username") == self.username]
        return found[0].get("port") if found else None

    def delivered(self, message_id: int) -> dict[str, Any] | None:
        return next((m for m in self.account()["delivered"] if m["id"] == message_id), None)


def settled(read: Callable[[], T], done: Callable[[T], bool], seconds: float = SETTLE_S) -> T:
    """Read until `done` holds, then once more after a short pause (to catch a duplicate)."""
    deadline = time.monotonic() + seconds
    value = read()
    while not done(value) and time.monotonic() < deadline:
        time.sleep(POLL_S)
        value = read()
    time.sleep(POLL_S * 4)
    return read()


@pytest.fixture
def probe(conformance: SuiteContext) -> ConversationProbe:
    return ConversationProbe(conformance)


@pytest.fixture
def network(conformance: SuiteContext, conformance_config: RunConfig) -> Network:
    url = conformance_config.network_control
    if not url:
        _skip(conformance, "needs --network-control: a simulated Soulseek network the target is logged in to")
    control = ControlClient(url, timeout=10)
    server = json_body(conformance.call("GET", "server"))
    username = server.get("username") if isinstance(server, dict) else None
    try:
        silent = [p["username"] for p in control.peers() if p.get("kind") == "silent"]
    except ControlError as error:
        _skip(conformance, str(error))
    if not isinstance(username, str) or not silent:
        _skip(conformance, "needs a silent peer on the network (it has one unless --no-default-peers)")
    return Network(control, username, silent[0])


def _skip(conformance: SuiteContext, reason: str) -> NoReturn:
    """Skip, saying in the report what was missing (else the requirements read 'not covered')."""
    for requirement in NETWORK_REQUIREMENTS:
        conformance.recorder.not_covered(requirement, reason)
    pytest.skip(reason)


def _text() -> str:
    return f"conformance network check {secrets.token_hex(4)}"


def _incoming(probe: ConversationProbe, network: Network, count: int) -> list[dict[str, Any]]:
    """The silent peer sends `count` messages now; the target's stored copies (as they arrive)."""
    if not probe.ctx.may_write_to(network.peer):
        _skip(probe.ctx, f"needs writes to the silent peer {network.peer!r} (--peer, or --profile full)")
    ids = set(network.control.peer_sends(network.peer, network.username, _text(), count))
    stored = settled(
        lambda: [m for m in probe.messages(network.peer) if m.get("id") in ids],
        lambda found: len(found) == len(ids),
    )
    if len(stored) < len(ids):
        _skip(probe.ctx, f"the target did not store the network's messages within {SETTLE_S:g} s")
    return stored


@check(Conv.NET_SEND_DELIVERED, kind="probe")
def test_a_send_is_one_private_message_on_the_network(probe: ConversationProbe, network: Network) -> None:
    """Where the run may invent names, to a username a normaliser would rewrite, with a long
    text of every UTF-8 width: the network must receive both exactly as sent."""
    if probe.ctx.writable_users is None:
        user, text = probe.fresh_user(NETWORK_STEM), f"{_text()} {spread(LONG)}"
    else:
        user, text = probe.writable_user(), _text()
    if not probe.expect_status(Conv.CONV_SEND_201, probe.send(user, text), 201):
        probe.done()
        return
    sent = settled(lambda: network.sent_with(text), bool)
    probe.check(
        Conv.NET_SEND_DELIVERED,
        [m["to"] for m in sent] == [user],
        f"POST /conversations/{user!a} answered 201; the network received "
        f"{[ascii(m['to']) for m in sent] or 'nothing'} with {label(text)}",
    )
    probe.done()


@check(Conv.NET_RECV_TIMESTAMP, Conv.NET_ACK_ONE_SENDS_ID, kind="probe")
def test_incoming_keeps_the_server_second_its_ack_sends_its_id(
    probe: ConversationProbe, network: Network
) -> None:
    (message,) = _incoming(probe, network, 1)
    delivered = network.delivered(message["id"])
    expected = datetime.fromtimestamp(delivered["timestamp"], UTC) if delivered else None
    probe.check(
        Conv.NET_RECV_TIMESTAMP,
        expected is not None and _parsed(message.get("timestamp")) == expected,
        f"the network stamped message {message['id']} {expected}; stored: {message.get('timestamp')!r}",
    )
    before = len(network.acknowledged())
    acknowledge = probe.call("PUT", "conversations", network.peer, message["id"])
    probe.expect_status(Conv.CONV_ACK_ONE_200, acknowledge, 200)
    acks = settled(lambda: network.acknowledged()[before:], lambda new: message["id"] in new)
    probe.check(
        Conv.NET_ACK_ONE_SENDS_ID,
        acks.count(message["id"]) == 1,
        f"acknowledging message {message['id']} sent the ids {acks} to the server",
    )
    probe.done()


@check(Conv.NET_ACK_ALL_SENDS_IDS, kind="probe")
def test_acknowledge_all_and_close_send_every_unacknowledged_id(
    probe: ConversationProbe, network: Network
) -> None:
    for method, requirement, status in ACKNOWLEDGING_ALL:
        _incoming(probe, network, 2)
        unread = {m["id"] for m in probe.messages(network.peer, unAcknowledgedOnly="true") if m.get("id")}
        before = len(network.acknowledged())
        response = probe.call(method, "conversations", network.peer)
        probe.expect_status(requirement, response, status)
        acks = settled(lambda b=before: network.acknowledged()[b:], lambda new, u=unread: u <= set(new))
        missing, repeated = unread - set(acks), {i for i in unread if acks.count(i) > 1}
        probe.check(
            Conv.NET_ACK_ALL_SENDS_IDS,
            bool(unread) and not missing and not repeated,
            f"{method} /conversations/{network.peer} with unacknowledged ids {sorted(unread)} sent {acks}",
        )
    probe.done()


@check(Conv.NET_RECV_REPLAYED, kind="probe")
def test_an_unacknowledged_message_is_replayed_at_the_next_login(
    probe: ConversationProbe, network: Network
) -> None:
    """The network drops the target's connection (no kick); slskd logs in again and the server
    replays what it has not acknowledged: slskd updates the message it stored, not a copy."""
    (message,) = _incoming(probe, network, 1)
    before = network.session_port()
    network.control.disconnect(network.username)
    after = settled(network.session_port, lambda port: port not in (None, before), RELOGIN_S)
    if after in (None, before):
        _skip(probe.ctx, f"the target did not log in again within {RELOGIN_S:g} s after a dropped connection")
    rows = settled(
        lambda: [m for m in probe.messages(network.peer) if m.get("id") == message["id"]],
        lambda found: any(m.get("wasReplayed") is True for m in found),
    )
    probe.check(
        Conv.NET_RECV_REPLAYED,
        len(rows) == 1 and rows[0].get("wasReplayed") is True and rows[0].get("isAcknowledged") is False,
        f"after a new login the network replayed message {message['id']}; the target stores {rows}",
    )
    probe.done()


def _parsed(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

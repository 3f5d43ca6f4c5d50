"""The gate as CI runs it, here: `conformance network` with its default peers + a reference slskd
logged in to it + `conformance run --network-control …` (full by default, the echo peer read
from the network). The chain checker → REST API → Soulseek
protocol → simulated peers reports what the network alone can see, and nothing else."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from conformance.network.codec import Builder
from conformance.network.command import DEFAULT_PEERS
from conformance.network.control import ControlServer
from conformance.network.server import NetworkServer
from conformance.reference import ReferenceOptions, ReferenceServer
from conformance.reference.network import Incoming
from conformance.reference.soulseek import SoulseekConnection
from conformance.reference.store import Store, StoredMessage
from tests.test_end_to_end import (
    KEY,
    SEARCH_GAPS_OF_EVERY_BEHAVIOUR,
    SLSKD_QUIRKS,
    SLSKD_ROOM_GAPS,
    SLSKD_SEARCH_GAPS,
    SLSKD_TRANSFER_GAPS,
    SLSKD_USER_GAPS,
    TRANSFER_GAPS_OF_EVERY_BEHAVIOUR,
    USER_GAPS_OF_EVERY_BEHAVIOUR,
    Run,
    conformance_run,
    forked_run,
)

NETWORK_REQUIREMENTS = {
    "NET-SEND-DELIVERED",
    "NET-RECV-TIMESTAMP",
    "NET-ACK-ONE-SENDS-ID",
    "NET-ACK-ALL-SENDS-IDS",
    "NET-RECV-REPLAYED",
}
SLSKD_DEVIATIONS = {quirk for quirk in SLSKD_QUIRKS if not quirk.startswith("DOCGAP-")}
SLSKD_GAPS = {
    "DOCGAP-LENIENT-BINDING",
    "DOCGAP-OVERLAY-STATUS",
    "DOCGAP-OUT-ID-ZERO",
    "DOCGAP-READING",
    *SLSKD_SEARCH_GAPS,
    *SEARCH_GAPS_OF_EVERY_BEHAVIOUR,
    *SLSKD_TRANSFER_GAPS,
    *TRANSFER_GAPS_OF_EVERY_BEHAVIOUR,
    *SLSKD_USER_GAPS,
    *USER_GAPS_OF_EVERY_BEHAVIOUR,
    *SLSKD_ROOM_GAPS,
}


@contextmanager
def gate(
    tmp_path: Path, *pytest_args: str, behaviour: str = "slskd", fault: str | None = None
) -> Iterator[Run]:
    """Start the network and a reference logged in to it; run the suite with its control URL and
    nothing else a user would have to know (no profile, no peer names)."""
    with NetworkServer(DEFAULT_PEERS) as network, ControlServer(network) as control:
        options = ReferenceOptions(
            behaviour=behaviour,
            api_key=KEY,
            echo_peers=("echo-peer",),
            faults=frozenset([fault] if fault else []),
            soulseek=("127.0.0.1", network.port),
            soulseek_username="slskd-under-test",
        )
        with ReferenceServer(options) as slskd:
            yield forked_run(
                tmp_path,
                "--target-url", slskd.url,
                "--network-control", control.url,
                "--rate", "none",
                *pytest_args,
                env={"SLSKD_API_KEY": KEY},
            )  # fmt: skip


def statuses(run: Run, ids: set[str]) -> dict[str, str]:
    return {r["id"]: r["status"] for r in run.results["requirements"] if r["id"] in ids}


def test_the_network_probes_catch_incoming_messages_stored_as_read(tmp_path: Path) -> None:
    """Stored already acknowledged, incoming messages are never acknowledged on the network."""
    with gate(tmp_path, "-k", "test_network", fault="recv-acknowledged") as run:
        assert run.code == 1
    assert statuses(run, {"NET-ACK-ALL-SENDS-IDS"}) == {"NET-ACK-ALL-SENDS-IDS": "fail"}


SEND, ACKNOWLEDGE, REPLAY = SoulseekConnection.send, SoulseekConnection.acknowledge, Store.replay  # unpatched


def _send_twice(connection: SoulseekConnection, username: str, message: str) -> None:
    SEND(connection, username, message)
    SEND(connection, username, message)


def _acknowledge_next(connection: SoulseekConnection, message_id: int) -> None:
    ACKNOWLEDGE(connection, message_id + 1)


def _replay_unflagged(store: Store, message: StoredMessage) -> bool:
    return REPLAY(store, message._replace(replayed=False))


def _stamped_on_arrival(username: str, id: int, message: str, timestamp_s: int, replayed: bool) -> Incoming:
    return Incoming(username, id, message, None, replayed)


CLIENT = "conformance.reference.soulseek"
# A server that breaks each network requirement, by patching the reference's Soulseek client
# (or its store) where real slskd would go wrong: each probe must catch its own.
BROKEN = {
    "NET-SEND-DELIVERED": (f"{CLIENT}.SoulseekConnection.send", _send_twice),
    "NET-ACK-ONE-SENDS-ID": (f"{CLIENT}.SoulseekConnection.acknowledge", _acknowledge_next),
    "NET-RECV-TIMESTAMP": (f"{CLIENT}.Incoming", _stamped_on_arrival),
    "NET-RECV-REPLAYED": ("conformance.reference.store.Store.replay", _replay_unflagged),
}


@pytest.mark.parametrize("requirement", sorted(BROKEN))
def test_each_network_probe_catches_a_server_that_breaks_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, requirement: str
) -> None:
    target, replacement = BROKEN[requirement]
    monkeypatch.setattr(target, replacement)
    with gate(tmp_path, "-k", "test_network") as run:
        assert run.code == 1
    assert statuses(run, {requirement}) == {requirement: "fail"}


def _send_normalised(connection: SoulseekConnection, username: str, message: str) -> None:
    SEND(connection, unicodedata.normalize("NFKC", username).strip(), message)


def _send_cut(connection: SoulseekConnection, username: str, message: str) -> None:
    SEND(connection, username, message[:4_096])


@pytest.mark.parametrize("replacement", [_send_normalised, _send_cut], ids=["username", "text"])
def test_the_network_sees_a_recipient_or_a_text_the_target_rewrote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, replacement: Callable[..., None]
) -> None:
    """A target that stores what it was asked to send but puts a normalised username or a cut
    text on the wire fails NET-SEND-DELIVERED: the network compares both exactly."""
    monkeypatch.setattr(f"{CLIENT}.SoulseekConnection.send", replacement)
    with gate(tmp_path, "-k", "test_network") as run:
        assert run.code == 1
    assert statuses(run, {"NET-SEND-DELIVERED"}) == {"NET-SEND-DELIVERED": "fail"}


UNKNOWN_CODE = 9999  # a server code the network does not know: it never answers it


def _send_after_unknown(connection: SoulseekConnection, username: str, message: str) -> None:
    connection._send(Builder(UNKNOWN_CODE).string("whatever").build())
    SEND(connection, username, message)


def test_the_report_says_what_the_network_did_not_carry_out_during_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A target whose Soulseek client sends what the network does not implement: the run reads
    the network's count at its end, and says it next to the failures it may explain."""
    monkeypatch.setattr(f"{CLIENT}.SoulseekConnection.send", _send_after_unknown)
    with gate(tmp_path, "-k", "test_network") as run:
        assert run.code == 0, run.stdout[-3000:]  # the reference waits for no answer to it
    network = run.results["run"]["network"]
    (record,) = network["unimplemented"]
    sends = record["count"]
    assert sends >= 1 and network["error"] is None
    assert record == {
        "code": UNKNOWN_CODE,
        "name": None,
        "count": sends,
        "users": ["slskd-under-test"],
        "answer": None,
    }
    said = f"the simulated network did not carry out {sends} request{'s' if sends > 1 else ''} during the run"
    assert run.stdout.count(said) == 1, run.stdout[-3000:]
    assert f"code {UNKNOWN_CODE} ×{sends} unanswered" in run.stdout
    assert said in (run.reports / "latest" / "index.html").read_text(encoding="utf-8")


def test_without_network_control_the_network_requirements_say_what_is_missing(tmp_path: Path) -> None:
    run = conformance_run(tmp_path, "-k", "test_network")
    reasons = {r["id"]: r["reason"] for r in run.results["requirements"] if r["id"] in NETWORK_REQUIREMENTS}
    assert set(reasons) == NETWORK_REQUIREMENTS
    assert all(reason and "needs --network-control" in reason for reason in reasons.values())


@pytest.fixture(scope="module")
def slskd_gate(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """The whole gate against slskd's behaviour, made once for the two specifications after it
    (kept side by side, so that one worker makes it for both)."""
    with gate(tmp_path_factory.mktemp("gate"), "--no-shrink") as run:  # failures are known before shrinking
        return run


@pytest.mark.slow
def test_the_network_probes_pass_on_a_reference_logged_in_to_the_network(slskd_gate: Run) -> None:
    assert statuses(slskd_gate, NETWORK_REQUIREMENTS) == dict.fromkeys(NETWORK_REQUIREMENTS, "pass")
    assert "writes are safe: 'slskd-under-test' is logged in to the simulated network" in slskd_gate.stdout


@pytest.mark.slow
def test_the_gate_reports_exactly_slskds_known_deviations_and_covers_conversations(slskd_gate: Run) -> None:
    run = slskd_gate
    assert run.code == 1
    defects = {r["id"] for r in run.results["requirements"] if r["status"] == "fail" and r["level"] != "INFO"}
    assert defects == SLSKD_DEVIATIONS
    assert run.failing - defects <= SLSKD_GAPS
    conversations = [r for r in run.results["requirements"] if r["tag"] == "Conversations"]
    covered = [r for r in conversations if r["status"] in ("pass", "fail")]
    assert len(covered) / len(conversations) >= 0.9, [r["id"] for r in conversations if r not in covered]


@pytest.mark.slow
def test_the_gate_on_the_documented_behaviour_reports_no_defect(tmp_path: Path) -> None:
    with gate(tmp_path, behaviour="documented") as run:
        assert run.code == 0, run.failing

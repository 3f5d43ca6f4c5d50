"""Every frame the simulated server writes, byte by byte: the layout is the specification.

The layouts are the real server's as three clients read them (Soulseek.NET, the library slskd
uses; Nicotine+; aioslsk): a field one of them reads that the network left out makes that
client drop the frame, as Nicotine+ dropped GetPeerAddress answers that stopped after the port.
The expected bytes are spelled out with the protocol's own field types, never with the codec
under test.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable

import pytest

from conformance.network import messages
from conformance.network.codec import Code, Payload
from conformance.network.messages import AWAY, OFFLINE, ONLINE, PeerAddress, PrivateMessage


def u8(value: int) -> bytes:
    return struct.pack("<B", value)


def u16(value: int) -> bytes:
    return struct.pack("<H", value)


def u32(value: int) -> bytes:
    return struct.pack("<I", value)


def u64(value: int) -> bytes:
    return struct.pack("<Q", value)


def text(value: str) -> bytes:
    encoded = value.encode("utf-8")
    return u32(len(encoded)) + encoded


def frame(code: int, *fields: bytes) -> bytes:
    body = u32(code) + b"".join(fields)
    return u32(len(body)) + body


def test_login_accepted_is_success_greeting_address_reversed_password_hash_and_supporter_flag() -> None:
    expected = frame(1, u8(1), text("hi"), bytes((1, 0, 0, 127)), text(hashlib.md5(b"pw").hexdigest()), u8(0))
    assert messages.login_accepted("hi", "127.0.0.1", "pw") == expected


def test_login_rejected_is_failure_and_reason() -> None:
    assert messages.login_rejected("INVALIDPASS") == frame(1, u8(0), text("INVALIDPASS"))


def test_private_message_is_id_timestamp_sender_text_and_new_flag() -> None:
    new = PrivateMessage(7, 1_700_000_000, "bob", "héllo", is_new=True)
    assert messages.private_message(new) == frame(
        22, u32(7), u32(1_700_000_000), text("bob"), text("héllo"), u8(1)
    )
    assert messages.private_message(new._replace(is_new=False)).endswith(u8(0))


@pytest.mark.parametrize("status", [OFFLINE, AWAY, ONLINE])
def test_get_status_is_username_status_and_privileged_flag(status: int) -> None:
    assert messages.user_status("bob", status) == frame(7, text("bob"), u32(status), u8(0))


def test_watch_user_of_an_online_or_away_user_ends_with_a_country_code() -> None:
    stats = u32(0) + u64(0) + u32(0) + u32(0)  # average speed, uploads, files, folders
    for status in (ONLINE, AWAY):
        expected = frame(5, text("bob"), u8(1), u32(status), stats, text(""))
        assert messages.watch_user("bob", status) == expected


def test_watch_user_of_an_offline_user_has_the_stats_and_no_country() -> None:
    stats = u32(0) + u64(0) + u32(0) + u32(0)
    assert messages.watch_user("bob", OFFLINE) == frame(5, text("bob"), u8(1), u32(OFFLINE), stats)


def test_watch_user_of_no_such_user_is_the_name_and_does_not_exist() -> None:
    assert messages.watch_user("nobody", None) == frame(5, text("nobody"), u8(0))


def test_get_peer_address_ends_with_the_obfuscation_type_and_a_two_byte_obfuscated_port() -> None:
    plain = messages.peer_address("bob", PeerAddress("127.0.0.1", 40000))
    assert plain == frame(3, text("bob"), bytes((1, 0, 0, 127)), u32(40000), u32(0), u16(0))
    obfuscated = messages.peer_address("bob", PeerAddress("10.1.2.3", 40000, 40001))
    assert obfuscated == frame(3, text("bob"), bytes((3, 2, 1, 10)), u32(40000), u32(1), u16(40001))


def test_get_peer_address_of_a_user_nobody_can_reach_is_all_zeros() -> None:
    nowhere = messages.peer_address("echo", PeerAddress("0.0.0.0", 0))
    assert nowhere == frame(3, text("echo"), bytes(4), u32(0), u32(0), u16(0))


def test_get_user_stats_is_username_speed_uploads_files_and_folders() -> None:
    assert messages.user_stats("bob") == frame(36, text("bob"), u32(0), u64(0), u32(0), u32(0))


def test_check_privileges_is_the_seconds_left() -> None:
    assert messages.privileges(0) == frame(92, u32(0))


@pytest.mark.parametrize(
    ("build", "code"), [(messages.kicked, Code.KICKED_FROM_SERVER), (messages.ping, Code.PING)]
)
def test_kicked_and_ping_carry_nothing_but_their_code(build: Callable[[], bytes], code: int) -> None:
    assert build() == frame(code)


def test_set_listen_port_reads_the_optional_obfuscated_port() -> None:
    assert messages.read_set_listen_port(Payload(u32(2234))) == (2234, 0)
    assert messages.read_set_listen_port(Payload(u32(2234) + u32(1) + u32(2235))) == (2234, 2235)
    assert messages.read_set_listen_port(Payload(u32(2234) + u32(0) + u32(2235))) == (2234, 0)


def test_connect_to_peer_passed_on_ends_with_privileged_and_two_four_byte_obfuscation_fields() -> None:
    where = PeerAddress("127.0.0.1", 40000, 40001)
    expected = frame(
        18, text("alice"), text("P"), bytes((1, 0, 0, 127)), u32(40000), u32(77), u8(0), u32(1), u32(40001)
    )
    assert messages.connect_to_peer("alice", "P", where, 77) == expected
    plain = messages.connect_to_peer("alice", "F", PeerAddress("127.0.0.1", 40000), 78)
    assert plain.endswith(u32(78) + u8(0) + u32(0) + u32(0))


def test_cant_connect_to_peer_is_the_token_and_a_username() -> None:
    assert messages.cant_connect_to_peer(77, "echo") == frame(1001, u32(77), text("echo"))
    assert messages.read_cant_connect_to_peer(Payload(u32(77))) == (77, None)

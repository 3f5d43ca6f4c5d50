"""Peer frames byte by byte: the layout every simulated peer writes and every reader expects."""

from __future__ import annotations

import struct
import zlib

import pytest

from conformance.network import peer_messages as pm
from conformance.network.codec import ProtocolError
from conformance.peers.library import SharedFile
from conformance.peers.responses import PeerResponse

FLAC = SharedFile("Music\\Sol Band\\01 Sol — live.flac", 123456789012, ((1, 240), (4, 44100), (5, 16)))
LOCKED = SharedFile("Music\\Locked\\x.mp3", 7, ((0, 320),), locked=True)
RESPONSE = PeerResponse("sharing-peer", 0xDEADBEEF, (FLAC,), (LOCKED,), True, 1000, 3)


def s(text: str) -> bytes:
    raw = text.encode()
    return struct.pack("<I", len(raw)) + raw


def record(file: SharedFile, extension: str) -> bytes:
    pairs = b"".join(struct.pack("<II", k, v) for k, v in file.attributes)
    return (
        b"\x01"
        + s(file.filename)
        + struct.pack("<Q", file.size)
        + s(extension)
        + struct.pack("<I", len(file.attributes))
        + pairs
    )


def test_peer_init_is_length_code_byte_username_type_token() -> None:
    payload = b"\x01" + s("alice") + s("P") + struct.pack("<I", 77)
    assert pm.build_peer_init("alice", "P", 77) == struct.pack("<I", len(payload)) + payload
    assert pm.parse_init(payload) == pm.PeerInit("alice", "P", 77)


def test_pierce_firewall_is_length_zero_byte_token() -> None:
    assert pm.build_pierce_firewall(5) == b"\x05\x00\x00\x00\x00\x05\x00\x00\x00"
    assert pm.parse_init(b"\x00\x05\x00\x00\x00") == pm.PierceFirewall(5)


def test_search_response_layout_field_by_field() -> None:
    expected = (
        s("sharing-peer")
        + struct.pack("<I", 0xDEADBEEF)
        + struct.pack("<I", 1)
        + record(FLAC, "flac")
        + b"\x01"
        + struct.pack("<III", 1000, 3, 0)
        + struct.pack("<I", 1)
        + record(LOCKED, "mp3")
    )
    assert pm.search_response_payload(RESPONSE) == expected
    frame = pm.build_search_response(RESPONSE)
    (length, code) = struct.unpack_from("<II", frame)
    assert length == len(frame) - 4 and code == 9
    assert frame[8:10] in (b"\x78\x9c", b"\x78\x01", b"\x78\xda")  # a zlib header
    assert zlib.decompress(frame[8:]) == expected


def test_a_built_response_reads_back_equal() -> None:
    frame = pm.build_search_response(RESPONSE)
    got = pm.read_search_response(pm.Frame(9, frame[8:]))
    assert got == RESPONSE
    assert got.as_json() == RESPONSE.as_json()
    records = pm.parse_search_response_records(frame[8:])
    assert records.files[0].extension == "flac" and records.unknown == 0 and records.free_slot == 1


def test_a_response_without_the_locked_section_still_reads() -> None:
    payload = s("p") + struct.pack("<II", 1, 0) + b"\x00" + struct.pack("<III", 0, 0, 0)
    got = pm.parse_search_response(zlib.compress(payload))
    assert got.files == () and got.locked_files == () and not got.free_slot


@pytest.mark.parametrize(
    "payload",
    [b"not zlib", zlib.compress(s("p"))[:-3], zlib.compress(s("p") + struct.pack("<II", 1, 5))],
)
def test_bad_payloads_are_protocol_errors(payload: bytes) -> None:
    with pytest.raises(ProtocolError):
        pm.parse_search_response(payload)


def test_unknown_init_codes_and_trailing_bytes_are_protocol_errors() -> None:
    for body in (b"", b"\x07", b"\x00\x05\x00\x00\x00\xff"):
        with pytest.raises(ProtocolError):
            pm.parse_init(body)


def test_another_code_is_not_a_search_response() -> None:
    with pytest.raises(ProtocolError):
        pm.read_search_response(pm.Frame(4, b""))

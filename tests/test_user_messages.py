"""The layouts of a browse, a user info and a folder's contents (`conformance.network.user_messages`):
whatever a peer shows, what is built reads back as the same thing, and whatever bytes arrive, a
reader either reads them or raises ProtocolError (the one error the reference's client and the
network's peers catch: anything else would end a connection's thread with a traceback)."""

from __future__ import annotations

import contextlib
import zlib
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.network import user_messages as um
from conformance.network.codec import ProtocolError
from conformance.peers.browsing import Directory, Shares, UserInfo
from conformance.peers.library import SharedFile

UINT32 = st.integers(0, 2**32 - 1)
TEXT = st.text(max_size=12)  # unicode, backslashes and dots included


def directories(locked: bool) -> st.SearchStrategy[tuple[Directory, ...]]:
    files = st.builds(
        SharedFile,
        filename=TEXT,
        size=st.integers(0, 2**64 - 1),
        attributes=st.lists(st.tuples(UINT32, UINT32), max_size=3).map(tuple),
        locked=st.just(locked),
    )
    directory = st.builds(Directory, name=TEXT, files=st.lists(files, max_size=3).map(tuple))
    return st.lists(directory, max_size=3).map(tuple)


INFOS = st.builds(
    UserInfo,
    description=TEXT,
    picture=st.none() | st.binary(max_size=64),
    upload_slots=UINT32,
    queue_length=UINT32,
    free_slot=st.booleans(),
)


def payload(frame: bytes) -> bytes:
    """What follows the length and the code."""
    return frame[8:]


@given(open_=directories(False), locked=directories(True))
def test_a_browse_reads_back_as_the_shares_it_was_built_from(
    open_: tuple[Directory, ...], locked: tuple[Directory, ...]
) -> None:
    shares = Shares(open_, locked)
    assert um.parse_browse_response(payload(um.build_browse_response(shares))) == shares


def test_a_browse_without_its_optional_locked_part_has_no_locked_directories() -> None:
    only_open = zlib.compress(b"\x00\x00\x00\x00")
    assert um.parse_browse_response(only_open) == Shares((), ())


@given(info=INFOS)
def test_a_user_info_reads_back_as_it_was_built(info: UserInfo) -> None:
    assert um.parse_info_response(payload(um.build_info_response(info))) == info


@given(token=UINT32, directory=TEXT, found=directories(False))
def test_a_folders_contents_read_back_with_the_token_and_the_directory(
    token: int, directory: str, found: tuple[Directory, ...]
) -> None:
    built = um.build_folder_contents_response(token, directory, found)
    assert um.parse_folder_contents_response(payload(built)) == um.FolderContents(token, directory, found)
    request = um.build_folder_contents_request(token, directory)
    assert um.parse_folder_contents_request(payload(request)) == (token, directory)


def test_requests_for_a_browse_and_a_user_info_carry_nothing_after_the_code() -> None:
    assert um.build_browse_request() == b"\x04\x00\x00\x00\x04\x00\x00\x00"
    assert um.build_info_request() == b"\x04\x00\x00\x00\x0f\x00\x00\x00"


READERS: dict[str, Callable[[bytes], object]] = {
    "browse": um.parse_browse_response,
    "info": um.parse_info_response,
    "folder": um.parse_folder_contents_response,
    "folder-request": um.parse_folder_contents_request,
}


@pytest.mark.parametrize("read", READERS.values(), ids=READERS.keys())
@given(data=st.binary(max_size=64), compressed=st.booleans())
def test_any_bytes_are_read_or_refused_with_a_protocol_error(
    read: Callable[[bytes], object], data: bytes, compressed: bool
) -> None:
    with contextlib.suppress(ProtocolError):
        read(zlib.compress(data) if compressed else data)


def test_a_frame_cut_short_is_a_protocol_error() -> None:
    whole = payload(um.build_browse_response(Shares((Directory("Music", (SharedFile("a.mp3", 1),)),), ())))
    with pytest.raises(ProtocolError):
        um.parse_browse_response(whole[: len(whole) // 2])

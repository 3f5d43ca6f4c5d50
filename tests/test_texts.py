"""Message texts from one character to the longest, compared byte for byte."""

from __future__ import annotations

import json
import unicodedata

from conformance.apis.conversations.texts import (
    LONG,
    LONGEST,
    SHORT,
    difference,
    differences,
    echo_difference,
    label,
    roundtrip_texts,
    spread,
    tail_difference,
)
from conformance.network.codec import MAX_FRAME
from conformance.transport.bounded import DEFAULT_MAX_RESPONSE_BYTES


def test_a_spread_text_has_the_length_asked_and_every_utf8_width() -> None:
    text = spread(LONG)
    assert len(text) == LONG
    assert {len(c.encode("utf-8")) for c in text} == {1, 2, 3, 4}


def test_the_texts_hold_what_a_normaliser_or_a_utf16_cut_would_change() -> None:
    astral, bait = SHORT
    assert len(astral.encode("utf-16-le")) == 4  # one character, a surrogate pair in UTF-16
    for text in (bait, spread(LONG)):
        assert unicodedata.normalize("NFC", text) != text
        assert unicodedata.normalize("NFKC", text) != unicodedata.normalize("NFC", text)


def test_the_longest_text_crosses_the_simulated_network_and_fits_the_default_bound() -> None:
    *_, longest = roundtrip_texts(DEFAULT_MAX_RESPONSE_BYTES)
    assert len(longest) == LONGEST
    assert len(longest.encode("utf-8")) < MAX_FRAME
    assert len(json.dumps(longest)) < DEFAULT_MAX_RESPONSE_BYTES  # every non-ASCII character \\u-escaped


def test_a_smaller_response_bound_sends_a_shorter_longest_text_and_a_real_inbox_only_short_ones() -> None:
    *_, longest = roundtrip_texts(1 << 20)
    assert len(json.dumps(longest)) < 1 << 20
    assert roundtrip_texts(None) == SHORT


def test_the_same_text_has_no_difference() -> None:
    assert difference(spread(LONG), spread(LONG)) is None


def test_a_cut_text_says_where_it_was_cut() -> None:
    sent = spread(LONG)
    assert difference(sent, sent[:100]) == (
        f"a text of 4,097 characters ({len(sent.encode('utf-8')):,} UTF-8 bytes) came back cut to "
        f"{len(sent[:100].encode('utf-8'))} bytes (100 characters)"
    )


def test_a_normalised_text_says_from_which_byte_it_differs() -> None:
    assert difference("Zoe\u0308", "Zoë") == (
        "'Zoe\\u0308' came back as 'Zo\\xeb', different from byte 2 "
        "(sent b'e\\xcc\\x88', shown b'\\xc3\\xab')"
    )


def test_a_text_missing_or_not_a_string_is_a_difference() -> None:
    assert differences(["a", "b"], ["a"]) == ["'b' is not shown"]
    assert differences(["a"], [None]) == ["'a' came back as NoneType None"]


def test_a_send_answer_is_compared_only_when_it_shows_the_text() -> None:
    assert echo_difference("hi", None) is None  # slskd: 201, no body
    assert echo_difference("hi", {"message": "hi"}) is None
    assert echo_difference("hi", {"message": "h"}) == "'hi' came back cut to 1 bytes (1 characters)"
    assert echo_difference("hi", "hi!") is not None


def test_a_peer_reply_must_end_with_the_text_it_was_sent() -> None:
    sent = spread(LONG)
    assert tail_difference(sent, f"echo: {sent}") is None
    assert tail_difference(sent, f"echo: {sent}"[:4_096]) == (
        f"{label(sent)} came back in a reply of 4,096 characters that does not end with it"
    )
    assert tail_difference("hi", None) == "'hi' came back as NoneType None"

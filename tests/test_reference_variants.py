"""Each representation variant changes how the reference server writes its answers, and only that.

What a variant is *for* (the checker must pass it) is tests/test_reference_conformance.py;
here each one is shown to do what its name says, against the same conversation: a message
to the echo peer with non-ASCII text and its reply.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Callable

import pytest
import requests

from conformance.reference import ReferenceOptions, ReferenceServer
from conformance.reference.clock import MonotonicClock
from conformance.reference.command import main
from conformance.reference.variants import VARIANTS, Representation
from conformance.reference.wire import Reply, accepts_coding

TEXT = "Zoë says hi"
Check = Callable[[requests.Response], bool]


def conversation(variants: set[str]) -> requests.Response:
    """GET of a conversation holding one sent message and the echo peer's reply."""
    with ReferenceServer(ReferenceOptions(variants=frozenset(variants))) as server:
        url = f"{server.base_url}/conversations/echo-peer"
        assert requests.post(url, json=TEXT, timeout=10).status_code == 201
        return requests.get(url, timeout=10)


def stamps(response: requests.Response) -> list[str]:
    return [m["timestamp"] for m in response.json()["messages"]]


SHOWN_BY: dict[str, Check] = {
    "whole-second-incoming": lambda r: all(
        "." not in m["timestamp"] for m in r.json()["messages"] if m["direction"] == "In"
    ),
    "zero-offset": lambda r: all(s.endswith("+00:00") for s in stamps(r)),
    "extra-field": lambda r: "isPinned" in r.json() and "isEdited" in r.json()["messages"][0],
    "key-order": lambda r: (
        next(iter(r.json())) == "messages" and next(iter(r.json()["messages"][0])) == "wasReplayed"
    ),
    "pretty": lambda r: r.content.startswith(b'{\n  "username": "echo-peer"'),
    "raw-unicode": lambda r: TEXT.encode() in r.content,
    "no-charset": lambda r: r.headers["Content-Type"] == "application/json",
    "media-type-case": lambda r: r.headers["Content-Type"] == "Application/JSON; Charset=UTF-8",
    "connection-close": lambda r: r.headers.get("Connection") == "close",
    "chunked": lambda r: (
        r.headers.get("Transfer-Encoding") == "chunked" and "Content-Length" not in r.headers
    ),
    "cache-headers": lambda r: {"Date", "ETag", "Cache-Control", "Server"} <= set(r.headers),
    "gzip": lambda r: r.headers.get("Content-Encoding") == "gzip",  # requests accepts gzip
}


@pytest.mark.parametrize("variant", sorted(SHOWN_BY))
def test_each_variant_shows_in_the_answer_and_the_default_does_not(variant: str) -> None:
    assert SHOWN_BY[variant](conversation({variant}))
    assert not SHOWN_BY[variant](conversation(set()))


def test_every_variant_keeps_the_document_the_same() -> None:
    plain = conversation(set()).json()
    every = conversation(set(VARIANTS)).json()
    for document in (plain, every):  # incoming in whole seconds may sort before what it answers
        document["messages"] = sorted(document["messages"], key=lambda message: message["direction"])
        for message in document["messages"]:
            del message["timestamp"]
            message.pop("isEdited", None)
    every.pop("isPinned")
    assert every == plain


def test_every_variant_is_shown_by_a_test() -> None:
    assert set(VARIANTS) == set(SHOWN_BY) | {"fraction-digits"}


def test_the_coarse_clock_takes_turns_with_every_grid_from_a_second_to_a_microsecond() -> None:
    clock = MonotonicClock(after=1_000_000_000_000_001, coarse=True)
    readings = [clock.now() for _ in range(7)]
    assert readings == sorted(set(readings))
    assert [reading % 10 ** (6 - turn) for turn, reading in enumerate(readings)] == [0] * 7


@pytest.mark.parametrize(
    ("micros", "digits"),
    [(2_000_000, ""), (2_500_000, "5"), (2_123_400, "1234"), (2_123_456, "123456"), (2_123_457, "1234570")],
)
def test_fraction_digits_writes_zero_to_seven_digits_of_the_same_instant(micros: int, digits: str) -> None:
    assert Representation(frozenset({"fraction-digits"})).fraction(micros) == digits


def test_fraction_digits_timestamps_parse_as_rfc_3339() -> None:
    shape = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,7})?Z")
    assert all(shape.fullmatch(stamp) for stamp in stamps(conversation({"fraction-digits"})))


def test_serve_lists_its_variants(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--list-variants"]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert listed == list(VARIANTS)


def test_serve_refuses_an_unknown_variant_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--variant", "bogus", "--port", "0"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "unknown variant bogus" in error


def test_a_chunked_answer_reassembles_into_the_same_bytes() -> None:
    representation = Representation(frozenset({"chunked"}))
    body = json.dumps([{"message": "x" * 700}]).encode()
    payload = representation.payload(Reply(200, body))
    decoded, rest = b"", payload
    while True:
        size, _, rest = rest.partition(b"\r\n")
        if int(size, 16) == 0:
            break
        decoded, rest = decoded + rest[: int(size, 16)], rest[int(size, 16) + 2 :]
    assert decoded == body and payload.endswith(b"0\r\n\r\n")


GZIP = Representation(frozenset({"gzip"}))
BODY = b'{"username":"alice"}'


@pytest.mark.parametrize("accept_encoding", ["gzip, deflate", "GZip;q=0.5", "*", "br, *;q=0.1"])
def test_gzip_compresses_an_answer_the_request_accepts_in_gzip(accept_encoding: str) -> None:
    reply = GZIP.dress(Reply(200, BODY), accept_encoding)
    assert gzip.decompress(reply.body) == BODY
    assert {("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding")} <= set(reply.headers)


@pytest.mark.parametrize(
    "accept_encoding",
    [
        None,  # no Accept-Encoding: no coding asked for
        "identity",
        "deflate, gzip;q=0",  # refused by name
        "*, gzip;q=0",  # the name wins over the wildcard
        "gzip;q=zero",  # a malformed weight allows nothing
    ],
)
def test_gzip_leaves_an_answer_plain_unless_the_request_accepts_gzip(accept_encoding: str | None) -> None:
    reply = GZIP.dress(Reply(200, BODY), accept_encoding)
    assert reply.body == BODY and not accepts_coding(accept_encoding, "gzip")
    assert reply.headers == (("Vary", "Accept-Encoding"),)  # a cache must still tell the two apart


def test_gzip_leaves_an_empty_body_as_it_is() -> None:
    assert GZIP.dress(Reply(204), "gzip") == Reply(204)

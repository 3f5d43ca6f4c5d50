"""Compressed answers (issue 21): decoded as they stream in, and bounded by what they decode to.

A proxy in front of slskd commonly gzips JSON for a client that accepts it, and `requests`
says it accepts gzip and deflate: such a target is conformant, so the transport decodes
every coding urllib3 knows. The size limit counts the decoded bytes too, so a compression
bomb (a few kilobytes inflating to many megabytes) is one finding, read no further, never
a body decompressed whole first.
"""

from __future__ import annotations

import gzip
import json
import time
import tracemalloc
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from conformance.apis import preflight_reads
from conformance.errors import ExitCode, TargetError
from conformance.reference.server import ReferenceOptions, ReferenceServer
from conformance.transport.bounded import ResponseTooLarge
from conformance.transport.preflight import preflight
from tests.servers.compressing import CompressingProxy
from tests.servers.hostile import bomb_on, gzip_bomb, gzip_on
from tests.servers.local import LocalServer, Received, Reply
from tests.test_end_to_end import forked_run
from tests.test_transport_hostile import API, guarded

DOCUMENT = {"username": "alice", "messages": ["hi", "ünïcode"]}
PLAIN = json.dumps(DOCUMENT).encode()
LIMIT = 1_000_000
KEY = "encodings-api-key-0123456789"


def raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


def answering(body: bytes, encoding: str, *, chunk: int | None = None) -> LocalServer:
    """A target answering `body` in `encoding`, with its Content-Length or in chunks of `chunk` bytes."""

    def answer(request: Received) -> Reply:
        chunks = [body[i : i + chunk] for i in range(0, len(body), chunk)] if chunk else None
        return Reply(200, body, "application/json", {"Content-Encoding": encoding}, chunks)

    return LocalServer(answer)


@pytest.mark.parametrize(
    ("encoding", "body"),
    [
        ("gzip", gzip.compress(PLAIN)),
        ("x-gzip", gzip.compress(PLAIN)),
        ("GZIP", gzip.compress(PLAIN)),  # codings are case-insensitive
        ("gzip", gzip.compress(PLAIN[:9]) + gzip.compress(PLAIN[9:])),  # two members, one body
        ("deflate", zlib.compress(PLAIN)),  # the zlib format RFC 9110 names
        ("deflate", raw_deflate(PLAIN)),  # the bare deflate some servers send instead
        ("gzip, deflate", zlib.compress(gzip.compress(PLAIN))),  # codings in the order applied
    ],
    ids=["gzip", "x-gzip", "upper-case", "two-members", "deflate", "raw-deflate", "chained"],
)
def test_a_compressed_answer_reads_as_the_document_it_encodes(encoding: str, body: bytes) -> None:
    with answering(body, encoding) as target, guarded(target.url) as session:
        assert session.get(f"{target.url}{API}/conversations").json() == DOCUMENT


def test_a_compressed_answer_sent_in_chunks_is_decoded_across_them() -> None:
    with answering(gzip.compress(PLAIN), "gzip", chunk=7) as target, guarded(target.url) as session:
        assert session.get(f"{target.url}{API}/conversations").content == PLAIN


def test_a_coding_nobody_here_decodes_is_kept_as_it_came_for_the_checks_to_judge() -> None:
    with answering(b"\x1f\x9d compressed", "compress") as target, guarded(target.url) as session:
        assert session.get(f"{target.url}{API}/conversations").content == b"\x1f\x9d compressed"


def test_a_chain_of_codings_longer_than_urllib3_decodes_is_kept_as_it_came() -> None:
    with answering(b"[]", ", ".join(["gzip"] * 6)) as target, guarded(target.url) as session:
        assert session.get(f"{target.url}{API}/conversations").content == b"[]"


def test_an_answer_that_does_not_decode_as_it_says_is_a_decoding_error() -> None:
    with (
        answering(b"not gzip at all", "gzip") as target,
        guarded(target.url) as session,
        pytest.raises(requests.exceptions.ContentDecodingError, match="does not decode as its"),
    ):
        session.get(f"{target.url}{API}/conversations")


# --- the bomb: a few kilobytes that inflate past the limit -------------------------------------


@pytest.fixture
def bomb() -> Iterator[LocalServer]:
    with LocalServer(bomb_on("/conversations", 64 * LIMIT)) as server:
        yield server


def test_the_bomb_is_a_few_kilobytes_that_inflate_past_the_limit() -> None:
    body = gzip_bomb(64 * LIMIT)
    assert len(body) < 100_000 < 64 * LIMIT <= len(gzip.decompress(body))


def test_a_compression_bomb_stops_at_the_limit_holding_no_more_than_it(bomb: LocalServer) -> None:
    with guarded(bomb.url, max_response_bytes=LIMIT) as session:
        tracemalloc.start()
        try:
            with pytest.raises(ResponseTooLarge, match=r"limit of 1,000,000 bytes .* once decoded \(gzip\)"):
                session.get(f"{bomb.url}{API}/conversations")
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peak < 3 * LIMIT, f"{peak:,} bytes held for a {LIMIT:,}-byte limit: decoded whole?"


def test_preflight_turns_a_bomb_into_one_line() -> None:
    with (
        LocalServer(bomb_on("/session/enabled", 64 * LIMIT)) as target,
        guarded(target.url, max_response_bytes=LIMIT) as session,
        pytest.raises(TargetError, match="once decoded") as refused,
    ):
        preflight(session, target.url, api_reads=preflight_reads())
    assert "\n" not in str(refused.value)


def test_preflight_says_which_answer_does_not_decode_in_one_line() -> None:
    with (
        answering(b"not gzip at all", "gzip") as target,
        guarded(target.url) as session,
        pytest.raises(TargetError) as refused,
    ):
        preflight(session, target.url, api_reads=preflight_reads())
    said = str(refused.value)
    assert said.startswith("the answer to GET ") and "does not decode as its Content-Encoding 'gzip'" in said
    assert "\n" not in said


def test_the_limit_still_counts_the_bytes_on_the_wire() -> None:
    incompressible = gzip.compress(bytes(range(256)) * 2000, compresslevel=0)  # gzip larger than its text
    with (
        answering(incompressible, "gzip", chunk=65536) as target,  # no Content-Length to refuse
        guarded(target.url, max_response_bytes=500_000) as session,
        pytest.raises(ResponseTooLarge, match=r"limit of 500,000 bytes \(--max-response-bytes\); reading"),
    ):
        session.get(f"{target.url}{API}/conversations")


@pytest.mark.slow
def test_a_bomb_met_mid_run_is_one_finding_and_an_incomplete_run(tmp_path: Path) -> None:
    with LocalServer(bomb_on("/application", 64 * LIMIT)) as target:
        started = time.monotonic()
        run = forked_run(
            tmp_path, f"--target-url={target.url}", "--rate=none", f"--max-response-bytes={LIMIT}",
            "--max-examples=3", env={"SLSKD_API_KEY": KEY},
        )  # fmt: skip
    assert run.code == ExitCode.INCOMPLETE, run.stdout[-3000:]
    [reason] = run.results["summary"]["incomplete"]
    assert "/api/v0/application is larger than the limit of 1,000,000 bytes" in reason
    assert "once decoded (gzip)" in reason
    assert run.stdout.count("cut short:") == 1 and "Traceback" not in run.stdout + run.stderr
    assert time.monotonic() - started < 120


@pytest.mark.slow
def test_an_answer_that_does_not_decode_met_mid_run_is_one_line_and_an_incomplete_run(tmp_path: Path) -> None:
    with LocalServer(gzip_on("/application", b"not gzip at all")) as target:
        run = forked_run(
            tmp_path, f"--target-url={target.url}", "--rate=none", "--max-examples=3",
            env={"SLSKD_API_KEY": KEY},
        )  # fmt: skip
    assert run.code == ExitCode.INCOMPLETE, run.stdout[-3000:]
    [reason] = run.results["summary"]["incomplete"]
    assert "/api/v0/application does not decode as its Content-Encoding 'gzip' says" in reason
    assert run.stdout.count("cut short:") == 1 and "Traceback" not in run.stdout + run.stderr


# --- a target behind a compressing proxy is conformant ------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_reference_server_behind_a_compressing_proxy_is_conformant(tmp_path: Path, seed: int) -> None:
    with ReferenceServer(ReferenceOptions(api_key=KEY)) as upstream:
        proxy = CompressingProxy(upstream.url)
        with LocalServer(proxy.answer) as front:
            run = forked_run(
                tmp_path, f"--target-url={front.url}", "--profile=safe-writes", "--peer=alice",
                "--echo-peer=echo-peer", "--rate=none", f"--seed={seed}", "--max-examples=5", "--no-shrink",
                env={"SLSKD_API_KEY": KEY},
            )  # fmt: skip
    defects = [r["id"] for r in run.results["requirements"] if r["status"] == "fail" and r["level"] != "INFO"]
    assert (run.code, defects) == (0, []), run.stdout[-3000:]
    assert proxy.compressed > 100, "the answers went through the proxy compressed"

"""Message texts from the shortest to the longest, and their comparison byte for byte.

slskd sets no length of its own (shared/slskd/source-notes.md §2.4): a text is bounded only
by Kestrel's 30,000,000-byte request body, and on the Soulseek protocol by a 32-bit length.
A server that cuts long texts (a column, a buffer, a protocol field) shows the short ones
unchanged, so the texts here run from one character to the longest the checker can see
whole: one that fits the simulated network's 1 MiB frame (`conformance network`) and whose
answer, every non-ASCII character `\\u`-escaped as System.Text.Json writes it, still fits
the run's response bound.

The texts cycle through every UTF-8 width and through characters a normaliser would
change (a ligature, a combining mark), so a cut at any byte, a cut counted in UTF-16 units
and a normalised text all differ from what was sent.
"""

from __future__ import annotations

from typing import Any

# One character of each UTF-8 width (1–4 bytes; the 4-byte one is a UTF-16 surrogate pair),
# a compatibility ligature (NFKC: "fi") and a combining acute accent (NFC composes e + ́).
CYCLE = "aé名😀ﬁe\u0301"
LONG = 4_097  # characters: past every 4 KiB buffer
LONGEST = 1 << 18  # characters (about 600 KB of UTF-8): under the simulated network's 1 MiB frame
ESCAPED = 12  # bytes a character may take in an answer at most: a surrogate pair, \u-escaped
# Shorter texts a server may not change either: one astral character, what a normaliser
# would rewrite (a decomposed accent, a ligature, a circled digit, a superscript, an
# ideographic space).
SHORT = ("😀", "Zoe\u0308 ﬁ ① x²\u3000end")


def spread(length: int) -> str:
    """A text of exactly `length` characters cycling through `CYCLE`."""
    return (CYCLE * (length // len(CYCLE) + 1))[:length]


def roundtrip_texts(max_response_bytes: int | None) -> tuple[str, ...]:
    """The texts a round-trip probe sends: short ones, a long one, and the longest whose
    answer fits `max_response_bytes` (the run's bound) even if every character were escaped;
    the short ones only when `max_response_bytes` is None (a real person's inbox)."""
    if max_response_bytes is None:
        return SHORT
    longest = min(LONGEST, max_response_bytes // (2 * ESCAPED))
    return (*SHORT, spread(LONG), spread(longest))


def label(text: str) -> str:
    """A text as a report shows it: itself when short, its size when it is long."""
    if len(text) <= 40:
        return ascii(text)
    return f"a text of {len(text):,} characters ({len(text.encode('utf-8')):,} UTF-8 bytes)"


def difference(sent: str, shown: Any) -> str | None:
    """How `shown` differs from `sent`, byte for byte in UTF-8; None when it is the same."""
    if not isinstance(shown, str):
        return f"{label(sent)} came back as {type(shown).__name__} {ascii(shown)[:40]}"
    want, got = sent.encode("utf-8"), shown.encode("utf-8", "surrogatepass")
    if want == got:
        return None
    if want.startswith(got):
        return f"{label(sent)} came back cut to {len(got):,} bytes ({len(shown):,} characters)"
    at = next(
        (i for i, (a, b) in enumerate(zip(want, got, strict=False)) if a != b), min(len(want), len(got))
    )
    return (
        f"{label(sent)} came back as {label(shown)}, different from byte {at:,} "
        f"(sent {want[at : at + 8]!r}, shown {got[at : at + 8]!r})"
    )


def tail_difference(sent: str, reply: Any) -> str | None:
    """How a peer's reply fails to end with the text it was sent (an echo peer answers what
    it is sent, maybe after a prefix of its own); None when it ends with it, code point for
    code point (byte for byte)."""
    if not isinstance(reply, str):
        return difference(sent, reply)
    if reply.endswith(sent):
        return None
    return f"{label(sent)} came back in a reply of {len(reply):,} characters that does not end with it"


def differences(sent: list[str], shown: list[Any]) -> list[str]:
    """Each text sent against the one shown in its place (the same order), and any missing."""
    found = [said for text, seen in zip(sent, shown, strict=False) if (said := difference(text, seen))]
    missing = [f"{label(text)} is not shown" for text in sent[len(shown) :]]
    return found + missing


def shown_texts(messages: Any) -> list[Any]:
    """The `message` of each message object of an answer, in order (non-objects left out)."""
    return [m.get("message") for m in messages if isinstance(m, dict)] if isinstance(messages, list) else []


def echo_difference(sent: str, body: Any) -> str | None:
    """How a send's answer shows the text, when it shows one: slskd answers 201 with no body;
    a server that echoes the message (as a string or a message object) must echo it exactly."""
    if isinstance(body, dict) and "message" in body:
        return difference(sent, body["message"])
    return difference(sent, body) if isinstance(body, str) else None

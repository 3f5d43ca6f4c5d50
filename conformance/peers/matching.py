"""What a client sends as a search, and which shared files a peer answers it with.

The client's side is Soulseek.NET's as slskd uses it (shared/soulseek/peers-and-apis.md §1.1):
the search text's whitespace-separated terms, one-character terms dropped, exclusions (`-word`)
kept and put after the inclusions, joined by single spaces. A text with no inclusion term left
cannot be searched (slskd answers 400).

The peer's side is ours to choose, because every real client matches in its own way; it is
written down here so the checker can say exactly which files answer a text: a path is split into
words at every character that is not a letter or a digit, and compared casefolded; a file
matches when every word of every inclusion term is among its path's words and no word of any
exclusion term is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from conformance.peers.library import SharedFile, SharingPeer

_WORD_BREAK = re.compile(r"[\W_]+")


def network_query(search_text: str, *, drop_single_characters: bool = True) -> str:
    """The query a client sends for `search_text` ("" when no inclusion term is left); with
    `drop_single_characters` False, as Soulseek.NET's `removeSingleCharacterSearchTerms: false`
    sends it, one-character inclusion terms stay."""
    terms = search_text.split()
    least = 2 if drop_single_characters else 1
    inclusions = [term for term in terms if not term.startswith("-") and len(term) >= least]
    exclusions = [term for term in terms if term.startswith("-") and len(term) > 1]
    return " ".join(inclusions + exclusions) if inclusions else ""


def path_words(text: str) -> frozenset[str]:
    """The casefolded words of a path or a term."""
    return frozenset(word for word in _WORD_BREAK.split(text.casefold()) if word)


def matches(query: str, file: SharedFile) -> bool:
    """Whether a peer answers `query` (as `network_query` makes it) with `file`."""
    have = path_words(file.filename)
    inclusions = [term for term in query.split() if not term.startswith("-")]
    exclusions = [term[1:] for term in query.split() if term.startswith("-")]
    if not inclusions:
        return False
    return all(path_words(term) <= have for term in inclusions) and not any(
        path_words(term) & have for term in exclusions if path_words(term)
    )


def words(peers: Iterable[SharingPeer]) -> list[str]:
    """Every word of every shared path, sorted: what a checker draws search texts from."""
    return sorted({word for peer in peers for file in peer.files for word in path_words(file.filename)})

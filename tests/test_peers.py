"""The simulated peers' libraries, search rule and answers: what every stand-in agrees on."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.peers import library, matching, responses
from conformance.peers.library import Attribute, Behaviour, SharedFile
from conformance.peers.record import SearchLog


def peer(name: str, seed: int = 0) -> library.SharingPeer:
    return next(p for p in library.load(seed=seed) if p.username == name)


def test_the_same_seed_gives_the_same_library_and_another_seed_other_sizes() -> None:
    assert library.load(seed=3) == library.load(seed=3)
    sizes = {f.filename: f.size for f in peer("sharing-peer", 0).files}
    assert sizes != {f.filename: f.size for f in peer("sharing-peer", 1).files}
    assert sizes.keys() == {f.filename for f in peer("sharing-peer", 1).files}


def test_a_crowd_entry_is_that_many_identical_responders() -> None:
    crowd = [p for p in library.load() if p.username.startswith("crowd-peer-")]
    assert len(crowd) == 30
    assert {tuple(f.filename for f in p.files) for p in crowd} == {tuple(f.filename for f in crowd[0].files)}


def test_audio_files_carry_their_attributes_and_others_none() -> None:
    flac = next(f for f in peer("sharing-peer").files if f.extension == "flac")
    assert {k for k, _ in flac.attributes} == {Attribute.LENGTH, Attribute.SAMPLE_RATE, Attribute.BIT_DEPTH}
    mp3 = next(f for f in peer("sharing-peer").files if f.extension == "mp3")
    assert {"bitRate", "length", "isVariableBitRate"} <= mp3.as_json().keys()
    cover = next(f for f in peer("sharing-peer").files if f.extension == "jpg")
    assert cover.attributes == () and "bitRate" not in cover.as_json()


def test_the_client_drops_one_character_terms_and_puts_exclusions_last() -> None:
    assert matching.network_query("  -live a overture  b sol ") == "overture sol -live"
    assert matching.network_query("a b -c") == ""


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("overture", True),
        ("OVERTURE conformance", True),  # casefolded, every term
        ("señor", False),  # another file's word
        ("overture -suite", False),  # an excluded word of the path
        ("ñandú", True),  # a folder's word counts
        ("overtu", False),  # words, not substrings
    ],
)
def test_a_peer_matches_whole_words_of_the_whole_path(query: str, expected: bool) -> None:
    file = SharedFile("Music\\Ñandú Ensemble\\Conformance Suite (2024)\\01 - Overture.flac", 1)
    assert matching.matches(query, file) is expected


def test_each_behaviour_answers_as_its_name_says() -> None:
    assert responses.answer(peer("hoarding-peer"), "overture", 9) is None
    assert responses.answer(peer("sharing-peer"), "nowhere", 9) is None
    few = responses.answer(peer("few-files-peer"), "conformance", 9)
    assert few is not None and len(few.files) == 1
    wrong = responses.answer(peer("wrong-token-peer"), "overture", 9)
    assert wrong is not None and wrong.token != 9
    locked = responses.answer(peer("sharing-peer"), "demo", 9)
    assert locked is not None and locked.files == () and len(locked.locked_files) == 2
    assert locked.as_json()["lockedFileCount"] == 2 and locked.as_json()["fileCount"] == 0


def test_the_log_lists_each_response_under_the_search_it_was_sent_for() -> None:
    log = SearchLog(clock=lambda: 5.0)
    log.received("slskd", 1, "overture")
    log.received("slskd", 2, "chorus")
    answer = responses.answer(peer("sharing-peer"), "overture", 1)
    assert answer is not None
    log.sent("slskd", 1, answer)
    [first] = log.as_json(token=1)
    assert first["responses"] == [{"peer": "sharing-peer", "sent_at": 5.0, "response": answer.as_json()}]
    assert log.as_json(token=2)[0]["responses"] == []
    with pytest.raises(KeyError):
        log.sent("slskd", 3, answer)


def test_a_file_that_is_not_a_library_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("peers: []\n")
    with pytest.raises(ValueError, match="non-empty `peers:`"):
        library.load(bad)
    bad.write_text("peers: [{username: x, behaviour: shouts}]\n")
    with pytest.raises(ValueError, match="behaviour must be one of"):
        library.load(bad)


def test_behaviours_are_the_documented_four() -> None:
    assert {str(b) for b in Behaviour} == {"answers", "nothing", "below-minimum", "wrong-token"}

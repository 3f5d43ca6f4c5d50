"""The peers' upload side (conformance/peers/uploads.py, transfer_log.py, library fields): pure."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import pytest

from conformance.peers import library, responses, uploads
from conformance.peers.library import SharedFile
from conformance.peers.matching import path_words
from conformance.peers.transfer_log import TransferLog
from conformance.peers.uploads import Upload

KINDS = {
    "instant-peer": Upload.AT_ONCE,
    "refusing-peer": Upload.REFUSES,
    "denying-peer": Upload.DENIES,
    "failing-peer": Upload.FAILS,
    "dropping-peer": Upload.DROPS,
    "resizing-peer": Upload.RESIZES,
    "silent-peer": Upload.SILENT,
}


def peer(name: str, seed: int = 0) -> library.SharingPeer:
    return next(p for p in library.load(seed=seed) if p.username == name)


def test_the_default_library_has_one_peer_per_upload_behaviour_and_an_offline_one() -> None:
    for name, kind in KINDS.items():
        found = peer(name)
        assert found.upload == kind and found.online
        assert 1 <= len(found.files) <= 2
        assert all(1 <= f.size <= 65536 for f in found.files)
    offline = peer("offline-peer")
    assert not offline.online and offline.upload == Upload.QUEUES
    sharing = peer("sharing-peer")
    assert sharing.upload == Upload.QUEUES and (sharing.queue_s, sharing.place) == (0.2, 1)
    small = [f for f in sharing.files if "Conformance Transfers" in f.filename]
    assert len(small) == 3 and all(1 <= f.size <= 65536 for f in small)
    assert any(not f.filename.isascii() for f in small) and all(" " in f.filename for f in small)


def test_every_peer_that_shares_still_shares_the_common_word_and_no_new_folder_a_probed_one() -> None:
    probed = {"overture", "chorus", "line", "late", "live", "sol", "encore", "night"}
    for found in (sharer for sharer in library.load() if sharer.files):  # empty-peer shares nothing
        assert any("conformance" in f.filename.casefold() for f in found.files), found.username
    for name in [*KINDS, "offline-peer"]:
        words = {w for f in peer(name).files for w in path_words(f.filename)}
        assert not words & probed, name


def test_as_json_shows_the_upload_fields() -> None:
    shown = peer("refusing-peer").as_json()
    assert (shown["upload"], shown["queueS"], shown["place"], shown["online"]) == ("refuses", 0.2, 1, True)
    assert peer("offline-peer").as_json()["online"] is False


def test_an_offline_peer_answers_no_search() -> None:
    offline = peer("offline-peer")
    assert responses.answer(offline, "conformance", 1) is None
    assert responses.answer(peer("silent-peer"), "conformance", 1) is not None


def test_the_yaml_keys_and_max_size(tmp_path: Path) -> None:
    path = tmp_path / "l.yaml"
    path.write_text(
        "peers:\n  - username: p\n    upload: drops\n    queue_s: 0.5\n    place: 7\n    online: false\n"
        "    folders:\n      - path: 'A\\B'\n        max_size: 3\n"
        "        files: ['x.flac', 'y.mp3', 'z.jpg']\n",
        encoding="utf-8",
    )
    (found,) = library.load(path)
    assert (found.upload, found.queue_s, found.place, found.online) == (Upload.DROPS, 0.5, 7, False)
    assert all(1 <= f.size <= 3 for f in found.files)
    assert found.file("A\\B\\x.flac") == found.files[0] and found.file("A\\B\\nope") is None
    path.write_text("peers:\n  - username: p\n    upload: sometimes\n", encoding="utf-8")
    with pytest.raises(ValueError, match="upload must be one of"):
        library.load(path)
    path.write_text(
        "peers:\n  - username: p\n    folders:\n      - path: A\n        max_size: 0\n        files: [x]\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="max_size"):
        library.load(path)


def test_content_is_exactly_the_size_deterministic_and_differs_by_seed_user_and_file() -> None:
    file = SharedFile("Music\\a b\\ü.mp3", 1000)
    data = uploads.content(0, "u", file)
    assert len(data) == 1000 and data == uploads.content(0, "u", file)
    assert data != uploads.content(1, "u", file) and data != uploads.content(0, "v", file)
    assert data != uploads.content(0, "u", SharedFile("Music\\a b\\o.mp3", 1000))
    assert uploads.sha256(0, "u", file) == hashlib.sha256(data).hexdigest()
    # pinned: every machine must produce these bytes (random.Random(str) seeds by SHA-512)
    assert data[:8].hex() == uploads.content(0, "u", SharedFile(file.filename, 8)).hex()
    assert uploads.content(0, "u", SharedFile(file.filename, 0)) == b""


def test_the_behaviours_numbers() -> None:
    file = SharedFile("x", 101)
    assert uploads.announced_size(Upload.RESIZES, file) == 102
    assert uploads.announced_size(Upload.QUEUES, file) == 101
    assert uploads.drop_after(Upload.DROPS, file, 1) == 50
    assert uploads.drop_after(Upload.DROPS, file, 2) is None
    assert uploads.drop_after(Upload.QUEUES, file, 1) is None


def test_the_transfer_log_records_each_request_with_nulls_until_reached() -> None:
    times = iter(range(100, 200))
    log = TransferLog(clock=lambda: float(next(times)))
    first = log.requested("sharing-peer", "slskd", "A\\b.mp3", 17)
    assert log.as_json() == [
        {
            "peer": "sharing-peer",
            "downloader": "slskd",
            "filename": "A\\b.mp3",
            "token": 17,
            "received_at": 100.0,
            "answer": "none",
            "reason": None,
            "place": None,
            "denied": None,
            "failed": False,
            "upload_token": None,
            "announced_size": None,
            "size": None,
            "offset": None,
            "bytes_sent": 0,
            "complete": False,
            "sha256": None,
            "ended_at": None,
        }
    ]
    log.update(first, answer="queued", reason="Queued", place=1)
    log.ended(first)
    second = log.requested("other", "slskd", "A\\b.mp3", 18)
    assert second == 1 and log.attempts("sharing-peer", "slskd", "A\\b.mp3") == 1
    assert [e["token"] for e in log.as_json(peer="other")] == [18]
    assert log.as_json()[0]["ended_at"] == 101.0 and log.as_json()[0]["answer"] == "queued"
    with pytest.raises(KeyError):
        log.update(first, colour="blue")
    copy = log.as_json()
    copy[0]["answer"] = "changed"
    assert log.as_json()[0]["answer"] == "queued"


def test_the_transfer_log_is_safe_from_threads() -> None:
    log = TransferLog()

    def work(n: int) -> None:
        for i in range(200):
            log.update(log.requested(f"p{n}", "d", "f", i), bytes_sent=i)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(log.as_json()) == 800
    assert all(e["bytes_sent"] == e["token"] for e in log.as_json())

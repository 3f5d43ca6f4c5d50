"""How a simulated peer answers a download of one of its files, and the bytes it sends.

No I/O here: the simulated network (`conformance network`, over real sockets) and the reference
server's in-process simulation both play these behaviours, and the checker reads them, so all
three agree on what a download of each peer's file goes through and on every byte it carries.
The wire exchanges each behaviour stands for are those of shared/soulseek/peers-and-apis.md §1.4
(TransferRequest/TransferResponse, PlaceInQueue, UploadDenied, UploadFailed, the F connection).
"""

from __future__ import annotations

import hashlib
import random
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # library imports Upload from here: the file type is only named
    from conformance.peers.library import SharedFile


class Upload(StrEnum):
    """What a peer does with a download request (TransferRequest, direction 0) for a file it shares."""

    AT_ONCE = "at-once"  # allowed at once (with the size): the downloader opens the F connection
    QUEUES = "queues"  # "Queued", its place, `queue_s` later its own upload request, then the F connection
    REFUSES = "refuses"  # not allowed: "File not shared."
    DENIES = "denies"  # "Queued", then UploadDenied "Banned"
    FAILS = "fails"  # "Queued", then UploadFailed
    DROPS = "drops"  # as QUEUES, but the first attempt at a file stops after half its bytes
    RESIZES = "resizes"  # as QUEUES, but its upload request announces one byte more than the file has
    SILENT = "silent"  # never answers the request


QUEUED = "Queued"  # the reason of a "not yet" TransferResponse
NOT_SHARED = "File not shared."  # the reason for a file the peer does not have (or REFUSES)
BANNED = "Banned"  # the reason DENIES gives in UploadDenied


def content(seed: int, username: str, file: SharedFile) -> bytes:
    """The file's bytes, exactly `file.size` of them: the same for this seed, user and file on
    every machine and every Python (random.Random seeded with a str hashes it with SHA-512)."""
    return random.Random(f"{seed}\0{username}\0{file.filename}").randbytes(file.size)


def sha256(seed: int, username: str, file: SharedFile) -> str:
    """The hex SHA-256 of `content`: what a complete download of the file must hash to."""
    return hashlib.sha256(content(seed, username, file)).hexdigest()


def announced_size(upload: Upload, file: SharedFile) -> int:
    """The size a peer's own upload request (TransferRequest, direction 1) announces."""
    return file.size + 1 if upload == Upload.RESIZES else file.size


def drop_after(upload: Upload, file: SharedFile, attempt: int) -> int | None:
    """How many bytes the `attempt`-th (from 1) transfer of the file sends before the peer
    closes the F connection; None when it sends them all."""
    return file.size // 2 if upload == Upload.DROPS and attempt == 1 else None

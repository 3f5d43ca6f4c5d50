"""A peer's answer to one search: which of its files, under which token, with which numbers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from conformance.peers.library import WRONG_TOKEN_MASK, Behaviour, SharedFile, SharingPeer
from conformance.peers.matching import matches


@dataclass(frozen=True)
class PeerResponse:
    """A search response as a peer sends it (SearchResponse, peer code 9)."""

    username: str
    token: int
    files: tuple[SharedFile, ...]
    locked_files: tuple[SharedFile, ...]
    free_slot: bool
    upload_speed: int
    queue_length: int

    def as_json(self) -> dict[str, Any]:
        """slskd's Response object for it."""
        return {
            "username": self.username,
            "token": self.token,
            "fileCount": len(self.files),
            "files": [file.as_json() for file in self.files],
            "lockedFileCount": len(self.locked_files),
            "lockedFiles": [file.as_json() for file in self.locked_files],
            "hasFreeUploadSlot": self.free_slot,
            "uploadSpeed": self.upload_speed,
            "queueLength": self.queue_length,
        }


def answer(peer: SharingPeer, query: str, token: int) -> PeerResponse | None:
    """What `peer` sends for `query` under the search's `token`; None when it sends nothing
    (no file matches, it never answers, or it is offline: no search reaches it)."""
    found = [file for file in peer.files if matches(query, file)]
    if not found or peer.behaviour == Behaviour.NOTHING or not peer.online:
        return None
    if peer.behaviour == Behaviour.BELOW_MINIMUM:
        found = found[:1]
    if peer.behaviour == Behaviour.WRONG_TOKEN:
        token ^= WRONG_TOKEN_MASK
    return PeerResponse(
        username=peer.username,
        token=token,
        files=tuple(file for file in found if not file.locked),
        locked_files=tuple(file for file in found if file.locked),
        free_slot=peer.free_slot,
        upload_speed=peer.upload_speed,
        queue_length=peer.queue_length,
    )

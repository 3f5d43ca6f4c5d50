"""The sharing peers' answers about themselves: a browse, a user info and a folder's contents.

A client asks on any message connection it has with the peer (the one it opened with PeerInit P,
or one the peer opened to deliver search results): `Uploads.serve` reads every peer message on
those and hands these three requests here. What is answered comes from
`conformance.peers.browsing`, the checker's oracle, so the network and the checks agree on every
name, size and attribute (shared/soulseek/peers-and-apis.md §1.2, §1.3). How the peer answers is
its `requests` (`conformance.peers.library.Answering`):

- answers: BrowseRequest (4) → BrowseResponse (5) with the locked directories;
  InfoRequest (15) → InfoResponse (16), with the picture when it has one;
  FolderContentsRequest (36, token, directory) → FolderContentsResponse (37) with the same
  token and directory and the open folder of exactly that path (no directory when there is none);
- slow: nothing, ever (the client's wait for the reply runs out);
- drops: the connection is closed instead of answering; a browse first gets half of its frame,
  so the client sees an answer begin and break off.
"""

from __future__ import annotations

import asyncio
import logging

from conformance.network.peer_messages import PeerCode
from conformance.network.user_messages import (
    build_browse_response,
    build_folder_contents_response,
    build_info_response,
    parse_folder_contents_request,
)
from conformance.peers import browsing
from conformance.peers.library import Answering, SharingPeer

log = logging.getLogger("conformance.network")
REQUESTS = frozenset({PeerCode.BROWSE_REQUEST, PeerCode.INFO_REQUEST, PeerCode.FOLDER_CONTENTS_REQUEST})


def answer(peer: SharingPeer, client: str, writer: asyncio.StreamWriter, code: int, payload: bytes) -> None:
    """Answer one of REQUESTS from `client` as the peer's `requests` says."""
    if peer.requests is Answering.SLOW:
        log.info("%s: request %d from %s left unanswered (slow)", peer.username, code, client)
        return
    frame = _reply(peer, code, payload)
    if peer.requests is Answering.DROPS:
        log.info("%s: request %d from %s: the connection dropped (drops)", peer.username, code, client)
        if code == PeerCode.BROWSE_REQUEST:
            writer.write(frame[: len(frame) // 2])
        writer.close()  # after the buffered half has been written
        return
    if not writer.is_closing():
        writer.write(frame)


def _reply(peer: SharingPeer, code: int, payload: bytes) -> bytes:
    if code == PeerCode.BROWSE_REQUEST:
        return build_browse_response(browsing.shares(peer))
    if code == PeerCode.INFO_REQUEST:
        return build_info_response(browsing.info(peer))
    token, directory = parse_folder_contents_request(payload)
    return build_folder_contents_response(token, directory, browsing.folder_contents(peer, directory))

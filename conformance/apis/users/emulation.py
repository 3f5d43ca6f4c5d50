"""The Users operations in the reference server, in every behaviour.

Each read asks the network (`UsersNetwork`): the server for a status (7) and an address (3),
the peer itself for a browse (4/5), a user info (15/16) and a folder's contents (36/37). What
the network raises decides the status, as slskd's UsersController does (§3.3 of
shared/soulseek/peers-and-apis.md): UserOffline (an offline or unknown user) 404 with its message,
any other SoulseekError (a peer that does not answer in time or drops the connection, a server
not logged in) 500 with its message. A status is asked of the server only, so an offline or
unknown user is 200 `Offline`, never 404. A browse is tracked while it runs and for
BROWSE_KEPT_S after it ends, and `browse/status` answers its last progress, 404 otherwise.

The behaviours differ where the docs and slskd do:
- `slskd`: a browse answers the BrowseResponse object `{directories, directoryCount,
  lockedDirectories, lockedDirectoryCount}`, a folder's contents an array of Directory (`[]`
  when the peer has no such open folder), `browse/status` the progress object (`username`,
  `bytesTransferred`, `bytesRemaining`, `percentComplete`, `size`), the endpoint `{address,
  port}`; a blacklisted user is 404 on every operation but `browse/status`;
- `documented`: a browse answers `List[Directory]` (the open directories, then the locked ones,
  so nothing the peer showed is lost), a folder's contents one Directory (404 when the peer has
  no such open folder: the docs' only other status), `browse/status` the percentage as a bare
  number (the docs' `float`), the endpoint the documented IPEndPoint (`addressFamily` too); there
  is no blacklist; facts fill what the docs leave open (the 400 of an empty directory, the 500s);
- `intended`: slskd; its Users controller has no lookup left un-awaited and no choice no code
  means to make, so nothing sets it apart.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, replace
from typing import Any

from conformance.peers.browsing import Directory, Shares, UserInfo, file_json
from conformance.peers.library import SEPARATOR, Presence
from conformance.reference.network import SoulseekNetwork
from conformance.reference.network_errors import SoulseekError, UserOffline
from conformance.reference.options import DOCUMENTED, ReferenceOptions
from conformance.reference.wire import HttpError, Reply, Request, decode_segment

BAD_REQUEST, NOT_FOUND = 400, 404
BROWSE_KEPT_S = 5.0  # slskd keeps a finished browse's progress this long


@dataclass(frozen=True)
class BrowseProgress:
    """A browse's last progress event, and when the browse ended (None: still running)."""

    username: str
    transferred: int
    size: int
    ended_at: float | None = None

    def as_json(self) -> dict[str, Any]:
        """slskd's progress object (the event Soulseek.NET reports)."""
        return {
            "username": self.username,
            "bytesTransferred": self.transferred,
            "bytesRemaining": max(self.size - self.transferred, 0),
            "percentComplete": self.percent,
            "size": self.size,
        }

    @property
    def percent(self) -> float:
        return 100.0 * self.transferred / self.size if self.size else 0.0


class UsersApi:
    """The six Users operations over the server's network; browses tracked in memory."""

    def __init__(self, options: ReferenceOptions, network: SoulseekNetwork) -> None:
        self.network = network
        self.documented = options.behaviour == DOCUMENTED
        self.blacklist = frozenset(options.blacklist) if options.traits.blacklist else frozenset()
        self.faults = options.faults
        self.lock = threading.Lock()
        self.browses: dict[str, BrowseProgress] = {}

    # --- the server's answers --------------------------------------------------------------
    def status(self, request: Request) -> Reply:
        username = self._username(request)
        presence, privileged = self.network.user_status(username)
        if presence == Presence.OFFLINE and "users-offline-404" in self.faults:
            raise HttpError(NOT_FOUND)
        if presence == Presence.AWAY and "users-away-online" in self.faults:
            presence = Presence.ONLINE
        return Reply.json({"presence": str(presence), "isPrivileged": privileged})

    def endpoint(self, request: Request) -> Reply:
        username = self._username(request)
        try:
            address, port = self.network.user_endpoint(username)
        except UserOffline as error:
            if "users-endpoint-offline-200" in self.faults:
                address, port = "0.0.0.0", 0
            else:
                return Reply.json(str(error), NOT_FOUND)
        if "users-endpoint-port-swapped" in self.faults:
            port = int.from_bytes(port.to_bytes(2, "little"), "big")  # read in the wrong byte order
        body: dict[str, Any] = {"address": address, "port": port}
        return Reply.json({"addressFamily": "InterNetwork"} | body if self.documented else body)

    # --- the peer's answers ------------------------------------------------------------------
    def info(self, request: Request) -> Reply:
        username = self._username(request)
        try:
            info = self._ask(lambda: self.network.user_info(username), UserInfo("", None, 0, 0, False))
        except UserOffline as error:
            if "users-info-offline-500" in self.faults:
                return Reply.json(str(error), 500)
            return Reply.json(str(error), NOT_FOUND)
        if "users-picture-dropped" in self.faults:
            info = replace(info, picture=None)
        return Reply.json(info.as_json())

    def browse(self, request: Request) -> Reply:
        username = self._username(request)
        try:
            shares = self._ask(
                lambda: self.network.browse(username, self._progress(username)), Shares((), ())
            )
        except UserOffline as error:
            return Reply.json(str(error), NOT_FOUND)
        finally:
            self._ended(username)
        if "users-browse-file-lost" in self.faults and shares.directories:
            first, *rest = shares.directories
            shares = replace(shares, directories=(replace(first, files=first.files[:-1]), *rest))
        locked = () if "users-browse-locked-dropped" in self.faults else shares.locked_directories
        directories = [self._directory(d) for d in shares.directories]
        locked_json = [self._directory(d) for d in locked]
        if self.documented:
            return Reply.json(directories + locked_json)
        return Reply.json(
            {
                "directories": directories,
                "directoryCount": len(directories),
                "lockedDirectories": locked_json,
                "lockedDirectoryCount": len(locked_json),
            }
        )

    def browse_status(self, request: Request) -> Reply:
        username = decode_segment(request.params["username"])
        with self.lock:
            found = self.browses.get(username)
            if (
                found is not None
                and found.ended_at is not None
                and time.monotonic() - found.ended_at > BROWSE_KEPT_S
            ):
                del self.browses[username]
                found = None
            if found is None or "users-browse-status-forgotten" in self.faults:
                raise HttpError(NOT_FOUND)
        return Reply.json(found.percent if self.documented else found.as_json())

    def directory(self, request: Request) -> Reply:
        username = self._username(request)
        wanted = directory_of(request.body)
        if not wanted and "users-directory-400-missing" not in self.faults:
            raise HttpError(BAD_REQUEST)
        try:
            found = self._ask(lambda: self._contents(username, wanted or ""), ())
        except UserOffline as error:
            return Reply.json(str(error), NOT_FOUND)
        body = [self._directory(d) for d in found]
        if not self.documented:
            return Reply.json(body)
        if not body:
            raise HttpError(NOT_FOUND)
        return Reply.json(body[0])

    # --- helpers -------------------------------------------------------------------------------
    def _username(self, request: Request) -> str:
        """The route's username; 404 for one slskd blacklists (before the network is asked)."""
        username = decode_segment(request.params["username"])
        if username in self.blacklist:
            raise HttpError(NOT_FOUND)
        return username

    def _ask(self, call: Any, failed: Any) -> Any:
        """The network's answer; a peer that fails is 500 (SoulseekError propagates), unless a
        fault answers it as an empty success."""
        if "users-failure-200" not in self.faults:
            return call()
        try:
            return call()
        except UserOffline:
            raise
        except SoulseekError:  # the fault swallows what the peer did
            return failed

    def _contents(self, username: str, wanted: str) -> tuple[Directory, ...]:
        if "users-directory-wrong-folder" in self.faults:
            shares = self.network.browse(username)
            return shares.directories[:1] if shares.directories else ()
        return self.network.folder_contents(username, wanted)

    def _progress(self, username: str) -> Any:
        def progress(transferred: int, size: int) -> None:
            with self.lock:
                self.browses[username] = BrowseProgress(username, transferred, size)

        return progress

    def _ended(self, username: str) -> None:
        with self.lock:
            if (found := self.browses.get(username)) is not None and found.ended_at is None:
                self.browses[username] = replace(found, ended_at=time.monotonic())

    def _directory(self, directory: Directory) -> dict[str, Any]:
        """slskd's Directory, with the faults that change how a record is written."""
        body = directory.as_json()
        if "users-full-path-names" in self.faults:
            body["files"] = [
                file_json(replace(f, filename=f"{directory.name}{SEPARATOR}{f.filename}"))
                for f in directory.files
            ]
        if "users-directory-name-bare" in self.faults:
            body["name"] = directory.name.rsplit(SEPARATOR, 1)[-1]
        if "users-file-count-off-by-one" in self.faults:
            body["fileCount"] += 1
        return body


def directory_of(body: bytes) -> str | None:
    """The `directory` of a DirectoryContentsRequest body; None when the body binds to none (not
    JSON, not an object, no string `directory`), as slskd's binder leaves it null."""
    try:
        document = json.loads(body) if body else None
    except ValueError:
        return None
    value = document.get("directory") if isinstance(document, dict) else None
    return value if isinstance(value, str) else None

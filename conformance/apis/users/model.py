"""What each Users answer must show, judged against what the peer shares and is (pure).

A browse, a folder's contents and a user info must equal what the peer answered on the network
(`conformance.peers.browsing`: the same library the network's peers answer from), and a status
the presence the server gave; each judgement maps the requirement a difference breaks to its
problems (none: the answer is right), so one answer can break several (a lost file breaks the
browse, a full path where the peer wrote a bare name breaks the naming of files).
"""

from __future__ import annotations

import ipaddress
from typing import Any

from conformance.apis.users.ids import User
from conformance.apis.users.reading import browse_body, directories_body, progress_body
from conformance.peers.browsing import Directory, Shares, UserInfo, file_json
from conformance.peers.library import SEPARATOR, Presence

Judgement = dict[str, list[str]]  # requirement → what breaks it


def judge_browse(body: Any, shares: Shares) -> tuple[str | None, Judgement]:
    """(the reading taken, the problems) of a browse's answer for a peer sharing `shares`."""
    found = browse_body(body)
    if found is None:
        return None, {User.USER_BROWSE_200: [f"neither a BrowseResponse nor a list: {_short(body)}"]}
    judgement: Judgement = {User.USER_BROWSE_200: [], User.USER_BROWSE_LOCKED: [], User.USER_FILE_NAMES: []}
    opened, locked = found.directories, found.locked
    if locked is None:  # the docs' list: the open directories, then the locked ones
        opened, locked = opened[: len(shares.directories)], opened[len(shares.directories) :]
    _directories(judgement, User.USER_BROWSE_200, opened, shares.directories, "directories")
    _directories(judgement, User.USER_BROWSE_LOCKED, locked, shares.locked_directories, "locked directories")
    if found.counts is not None:
        directory_count, locked_count = found.counts
        if directory_count != len(found.directories):
            judgement[User.USER_BROWSE_200].append(
                f"directoryCount {directory_count!r} of {len(found.directories)} directories"
            )
        if locked_count != len(found.locked or ()):
            judgement[User.USER_BROWSE_LOCKED].append(
                f"lockedDirectoryCount {locked_count!r} of {len(found.locked or ())} locked directories"
            )
    return found.reading, judgement


def judge_folder(body: Any, expected: tuple[Directory, ...]) -> tuple[str | None, Judgement]:
    """(the reading taken, the problems) of a folder contents answer that should hold `expected`
    (the one open folder asked for; none when the peer shares no such open folder)."""
    found = directories_body(body)
    if found is None:
        return None, {User.USER_DIRECTORY_200: [f"neither a Directory nor a list: {_short(body)}"]}
    reading, directories = found
    requirement = User.USER_DIRECTORY_200 if expected else User.USER_DIRECTORY_MISSING
    judgement: Judgement = {requirement: [], User.USER_FILE_NAMES: []}
    _directories(judgement, requirement, directories, expected, "directories")
    return reading, judgement


def judge_info(body: Any, info: UserInfo) -> list[str]:
    """What the user info answer gets wrong of the peer's InfoResponse."""
    if not isinstance(body, dict):
        return [f"not an Info object: {_short(body)}"]
    expected = info.as_json()
    problems = _fields(body, expected, "Info")
    if info.picture is None and body.get("picture") not in (None, "", []):
        problems.append("a picture, for a peer that has none")
    return problems


def judge_status(body: Any, presence: Presence) -> list[str]:
    """What a status answer gets wrong of the presence the server gave."""
    if not isinstance(body, dict):
        return [f"not a Status object: {_short(body)}"]
    problems = (
        []
        if body.get("presence") == str(presence)
        else [f"presence {body.get('presence')!r}, not {presence}"]
    )
    if not isinstance(body.get("isPrivileged"), bool):
        problems.append(f"isPrivileged {body.get('isPrivileged')!r} is not a boolean")
    return problems


def judge_endpoint(body: Any, listens: tuple[str, int] | None = None) -> list[str]:
    """What an online user's endpoint answer gets wrong: a usable IPv4 address and port, the
    address the peer listens on when the network says (`listens`)."""
    if not isinstance(body, dict):
        return [f"not an IPEndPoint object: {_short(body)}"]
    problems = []
    try:
        address = ipaddress.IPv4Address(body.get("address"))
        if address.is_unspecified:
            problems.append("address 0.0.0.0: the server's way of saying offline")
    except (ipaddress.AddressValueError, ValueError):
        problems.append(f"address {body.get('address')!r} is not an IPv4 address")
    port = body.get("port")
    if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
        problems.append(f"port {port!r} is not one from 1 to 65535")
    if listens is not None and not problems and (body.get("address"), port) != listens:
        problems.append(f"{body.get('address')}:{port}, the peer listens on {listens[0]}:{listens[1]}")
    return problems


def judge_progress(body: Any, username: str) -> tuple[str, list[str]]:
    """(the reading taken, the problems) of a browse's progress read right after it ended: complete."""
    reading, percent, fields = progress_body(body)
    problems = [] if percent == 100 else [f"percentComplete {percent!r}, not 100, after the browse ended"]
    if fields:
        size, transferred = fields.get("size"), fields.get("bytesTransferred")
        if fields.get("username") != username:
            problems.append(f"username {fields.get('username')!r}, not {username!r}")
        if transferred != size or fields.get("bytesRemaining") != 0:
            problems.append(f"{transferred!r} of {size!r} bytes, {fields.get('bytesRemaining')!r} remaining")
    return reading, problems


def _directories(
    judgement: Judgement, requirement: str, actual: list[Any], expected: tuple[Directory, ...], what: str
) -> None:
    """Compare directory records one by one; the names of files go to USER-FILE-NAMES."""
    problems = judgement[requirement]
    if len(actual) != len(expected):
        problems.append(f"{len(actual)} {what}, the peer shares {len(expected)}")
    for got, directory in zip(actual, expected, strict=False):
        if not isinstance(got, dict):
            problems.append(f"a directory record that is no object: {_short(got)}")
            continue
        if got.get("name") != directory.name:
            problems.append(f"directory {got.get('name')!r} where the peer shares {directory.name!r}")
            continue
        files = got.get("files") if isinstance(got.get("files"), list) else []
        if got.get("fileCount") != len(directory.files):
            problems.append(
                f"{directory.name!r}: fileCount {got.get('fileCount')!r} of {len(directory.files)} files"
            )
        if len(files) != len(directory.files):
            problems.append(f"{directory.name!r}: {len(files)} files, the peer shares {len(directory.files)}")
        for file, shared in zip(files, directory.files, strict=False):
            name = file.get("filename") if isinstance(file, dict) else None
            if isinstance(name, str) and SEPARATOR in name:
                judgement[User.USER_FILE_NAMES].append(
                    f"{name!r} is a path: the peer wrote {shared.filename!r}"
                )
                file = file | {"filename": name.rsplit(SEPARATOR, 1)[-1]}
            problems += _fields(file, file_json(shared), f"{directory.name}{SEPARATOR}{shared.filename}")


def _fields(actual: Any, expected: dict[str, Any], what: str) -> list[str]:
    """Each expected field that the answer lacks or gives another value (extra fields are slskd's)."""
    if not isinstance(actual, dict):
        return [f"{what!r}: not an object: {_short(actual)}"]
    return [
        f"{what!r}: {key} {actual.get(key)!r}, the peer gave {value!r}"
        for key, value in expected.items()
        if key not in actual or actual[key] != value
    ]


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."

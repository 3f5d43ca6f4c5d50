"""The model of a joined room: what slskd must show of it, given what the network says happened.

Pure functions, no I/O: each takes what the API answered and what the network knows (its
room view, `oracle`) and returns the problems found, one readable line each (none: it holds).
slskd learns a room only from the server, so the model asks for exactly what the server told:
the room's members now (the join reply's list, the joiner among them, plus those who joined,
minus those who left, each described as the server described them), every message said in the
room since the target's join, in order and exactly as said (its own only as the server echoed
them, so once each), at most the latest `MESSAGES_KEPT`, each entry marked `self` exactly when
it is the target's.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

MESSAGES_KEPT = 250
# UserData as slskd writes it (UserDataResponse without `self`) and as the network describes it
USER_FIELDS = (
    "username",
    "status",
    "averageSpeed",
    "uploadCount",
    "fileCount",
    "directoryCount",
    "slotsFree",
    "countryCode",
)
MESSAGE_FIELDS = ("timestamp", "username", "message", "roomName")


def entries(body: Any) -> list[dict[str, Any]]:
    """The objects of a list answer (none for another shape: the shape is a problem of its own)."""
    return [item for item in body if isinstance(item, dict)] if isinstance(body, list) else []


def user_problems(users: Any, members: list[dict[str, Any]]) -> list[str]:
    """Why `users` (a room's users as answered) are not exactly the network's `members` now."""
    if not isinstance(users, list):
        return [f"users is {type(users).__name__}, not an array"]
    answered = Counter(str(user.get("username")) for user in entries(users))
    expected = Counter(str(member.get("username")) for member in members)
    problems = []
    if missing := sorted((expected - answered).elements()):
        problems.append(f"members missing: {missing}")
    if extra := sorted((answered - expected).elements()):
        problems.append(f"users the room does not have: {extra}")
    by_name = {str(member.get("username")): member for member in members}
    for user in entries(users):
        member = by_name.get(str(user.get("username")))
        if member is None:
            continue
        wrong = [name for name in USER_FIELDS if name in member and user.get(name) != member[name]]
        if wrong:
            shown = {name: user.get(name) for name in wrong}
            told = {name: member[name] for name in wrong}
            problems.append(f"{user.get('username')!r}: {shown} where the server said {told}")
    return problems


def message_problems(messages: Any, said: list[dict[str, Any]], room: str) -> list[str]:
    """Why `messages` (a room's messages as answered) are not exactly what was `said` in it
    since the join (`{username, message}`, oldest first), the latest MESSAGES_KEPT of them."""
    if not isinstance(messages, list):
        return [f"messages is {type(messages).__name__}, not an array"]
    answered = [(m.get("username"), m.get("message")) for m in entries(messages)]
    expected = [(m.get("username"), m.get("message")) for m in said[-MESSAGES_KEPT:]]
    problems = []
    if answered != expected:
        problems.append(f"messages {_excerpt(answered)} where the room heard {_excerpt(expected)}")
    for message in entries(messages):
        missing = [name for name in MESSAGE_FIELDS if not isinstance(message.get(name), str)]
        if missing:
            problems.append(f"a message without {missing}: {message}")
        elif message["roomName"] != room:
            problems.append(f"a message of room {message['roomName']!r} in room {room!r}")
    return problems


def self_problems(items: Any, me: str) -> list[str]:
    """Why the `self` flags of users or messages are wrong: true exactly for `me`'s entries."""
    wrong = [
        f"{item.get('username')!r} self={item.get('self')!r}"
        for item in entries(items)
        if (item.get("self") is True) != (item.get("username") == me)
        or item.get("self") not in (None, True, False)
    ]
    return [f"self flags wrong (the target is {me!r}): {wrong[:3]}"] if wrong else []


def room_problems(body: Any, view: dict[str, Any]) -> list[str]:
    """Why a Room body does not describe the network's room `view` (its name, privacy and, for
    a private room, owner and operators; its users and messages are judged on their own)."""
    if not isinstance(body, dict):
        return [f"the room is {type(body).__name__}, not an object"]
    problems = []
    if body.get("name") != view["name"]:
        problems.append(f"name {body.get('name')!r}, not {view['name']!r}")
    if body.get("isPrivate") is not bool(view.get("private")):
        problems.append(
            f"isPrivate {body.get('isPrivate')!r} for a room the server calls private={view.get('private')}"
        )
    if view.get("private"):
        if body.get("owner") != view.get("owner"):
            problems.append(f"owner {body.get('owner')!r}, not {view.get('owner')!r}")
        if list(body.get("operators") or []) != list(view.get("operators") or []):
            problems.append(f"operators {body.get('operators')!r}, not {view.get('operators')!r}")
    return problems


def listing_problems(listing: Any, rooms: list[dict[str, Any]]) -> list[str]:
    """Why `GET rooms/available` does not list the network's rooms: each room once with its
    member count, the private ones (the simulated server makes the client a member of each)
    with isPrivate true."""
    if not isinstance(listing, list):
        return [f"the list is {type(listing).__name__}, not an array"]
    listed = entries(listing)
    counts = Counter(str(item.get("name")) for item in listed)
    problems = [f"{name!r} listed {n} times" for name, n in counts.items() if n > 1]
    by_name = {str(item.get("name")): item for item in listed}
    for room in rooms:
        name = str(room["name"])
        item = by_name.get(name)
        if item is None:
            problems.append(f"{name!r} missing")
            continue
        count = len(room.get("members") or [])
        if item.get("userCount") != count:
            problems.append(f"{name!r}: userCount {item.get('userCount')!r}, the room has {count}")
        if item.get("isPrivate") is not bool(room.get("private")):
            problems.append(
                f"{name!r}: isPrivate {item.get('isPrivate')!r}, private={bool(room.get('private'))}"
            )
    return problems


def _excerpt(pairs: list[tuple[Any, Any]], limit: int = 4) -> str:
    shown = ", ".join(f"{u}: {m!r}" for u, m in pairs[:limit])
    more = f" … ({len(pairs)} in all)" if len(pairs) > limit else ""
    return f"[{shown}{more}]"

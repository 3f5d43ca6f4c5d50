"""Nicotine+'s core without its GUI, as a child process the tests steer: commands in, events out.

Run by `tests/nicotine_client.py`, never imported by the package or by the test process:
Nicotine+ (GPL-3.0, a test tool only) keeps its configuration, core and event bus in module
globals, so each client needs a process of its own, with its own HOME for its files.

    python tests/nicotine_driver.py SERVER_PORT USERNAME PASSWORD LISTEN_PORT

stdin, one JSON object a line: `{"do": "send", "to": U, "text": T}`, `{"do": "connect"}`,
`{"do": "ask", "what": "browse" | "info" | "folder", "user": U[, "folder": F]}` (as Nicotine+
asks a peer: the answer allowed first, then the request), `{"do": "quit"}`. stdout, one JSON
object a line:
- `{"event": "login", "success": bool}` for each answer to a login;
- `{"event": "shown", "user", "text", "id", "new", "timestamp"}` when Nicotine+ shows a received
  private message to its user (after its own checks: it holds a message until GetPeerAddress
  answers for the sender, so a frame it cannot read keeps the message from ever showing);
- `{"event": "status", "user", "status"}` for each GetStatus the server pushes;
- `{"event": "disconnected"}` when the server connection ends;
- `{"event": "browsed", "user", "folders", "locked"}`, `{"event": "info", "user", "description",
  "picture" (base64 or null), "slots", "queue", "free"}`, `{"event": "folder", "user", "token",
  "folder", "folders"}` for the answers Nicotine+ decoded; a folder is `[name, [[code, name,
  size, [[attribute, value]…]]…]]`, its files in Nicotine+'s order (by name).
"""

from __future__ import annotations

import base64
import json
import sys
import threading
import time
from typing import Any

from pynicotine.config import config
from pynicotine.core import core
from pynicotine.events import events
from pynicotine.slskmessages import (
    AddAllowedResponse,
    FolderContentsRequest,
    FolderContentsResponse,
    SharedFileListRequest,
    SharedFileListResponse,
    UserInfoRequest,
    UserInfoResponse,
)

# The parts of the core a private conversation goes through; no shares (they scan in a
# subprocess), no port mapping, no plugins' GUI, no update check.
COMPONENTS = {
    "network_thread",
    "users",
    "network_filter",
    "pluginhandler",
    "privatechat",
    "buddies",
    "chatrooms",
}
FOLDER_TOKEN = 36036  # the token of every folder contents request the driver sends
POLL_S = 0.05  # Nicotine+'s own headless loop polls its thread events ten times a second


def emit(**fields: Any) -> None:
    print(json.dumps(fields), flush=True)


def on_login(msg: Any) -> None:
    emit(event="login", success=bool(msg.success))


def on_message(msg: Any, queued_message: bool = False) -> None:
    """Called after Nicotine+'s private chat has handled the message: a user still set means shown."""
    if msg.message_id is not None and msg.user is not None:
        emit(
            event="shown",
            user=msg.user,
            text=msg.message,
            id=msg.message_id,
            new=bool(msg.is_new_message),
            timestamp=msg.timestamp,
        )


def on_status(msg: Any) -> None:
    emit(event="status", user=msg.user, status=msg.status)


def on_disconnect(msg: Any) -> None:
    emit(event="disconnected")


def on_browsed(msg: Any) -> None:
    emit(event="browsed", user=msg.username, folders=folders(msg.list), locked=folders(msg.privatelist))


def on_info(msg: Any) -> None:
    picture = base64.b64encode(msg.pic).decode() if msg.has_pic else None
    emit(
        event="info",
        user=msg.username,
        description=msg.descr,
        picture=picture,
        slots=msg.totalupl,
        queue=msg.queuesize,
        free=bool(msg.slotsavail),
    )


def on_folder(msg: Any) -> None:
    emit(
        event="folder", user=msg.username, token=msg.token, folder=msg.dir, folders=folders(msg.list.items())
    )


def folders(decoded: Any) -> list[Any]:
    """Nicotine+'s (folder, [(code, name, size, ext, {attribute: value})]) pairs as JSON."""
    return [
        [
            name,
            [
                [code, filename, size, sorted(attributes.items())]
                for code, filename, size, _, attributes in files
            ],
        ]
        for name, files in decoded
    ]


def ask(what: str, username: str, folder: str | None) -> None:
    """Nicotine+'s own way to ask a peer: allow the answer, then send the request."""
    if what == "browse":
        allowed, request = (SharedFileListResponse, username), SharedFileListRequest()
    elif what == "info":
        allowed, request = (UserInfoResponse, username), UserInfoRequest()
    else:
        allowed, request = (
            (FolderContentsResponse, username + folder),
            FolderContentsRequest(folder, FOLDER_TOKEN),
        )
    core.send_message_to_network_thread(AddAllowedResponse(*allowed))
    core.send_message_to_peer(username, request)


def on_room_joined(msg: Any) -> None:
    emit(event="joined", room=msg.room, users=[user.username for user in msg.users], owner=msg.owner)


def on_room_message(msg: Any) -> None:
    """After Nicotine+'s chat rooms handled it: a room still set means shown."""
    emit(event="said", room=msg.room, user=msg.user, text=msg.message)


def on_room_list(msg: Any) -> None:
    emit(event="rooms", public=msg.rooms, member=msg.otherprivaterooms, owned=msg.ownedprivaterooms)


def configure(server_port: int, username: str, password: str, listen_port: int) -> None:
    server = config.sections["server"]
    server["server"] = ("127.0.0.1", server_port)
    server["login"], server["passw"] = username, password
    server["portrange"] = (listen_port, listen_port)
    server["upnp"] = False
    server["auto_connect_startup"] = False
    core.cli_interface_address = "127.0.0.1"  # its listener and its connections: loopback only
    core.cli_listen_port = listen_port


def read_commands() -> None:
    """stdin → the core, on Nicotine+'s main thread (where its core expects to be called)."""
    for line in sys.stdin:
        command = json.loads(line)
        if command["do"] == "send":
            events.invoke_main_thread(core.privatechat.send_message, command["to"], command["text"])
        elif command["do"] == "ask":
            events.invoke_main_thread(ask, command["what"], command["user"], command.get("folder"))
        elif command["do"] == "join":
            events.invoke_main_thread(core.chatrooms.show_room, command["room"], command["private"])
        elif command["do"] == "say":
            events.invoke_main_thread(core.chatrooms.send_message, command["room"], command["text"])
        elif command["do"] == "leave":
            events.invoke_main_thread(core.chatrooms.remove_room, command["room"])
        elif command["do"] == "connect":
            events.invoke_main_thread(core.connect)
        elif command["do"] == "quit":
            break
    events.invoke_main_thread(core.quit)


def main(argv: list[str]) -> int:
    server_port, username, password, listen_port = int(argv[0]), argv[1], argv[2], int(argv[3])
    core.init_components(enabled_components=COMPONENTS, isolated_mode=True)
    configure(server_port, username, password, listen_port)
    for name, callback in (
        ("server-login", on_login),
        ("message-user", on_message),
        ("user-status", on_status),
        ("server-disconnect", on_disconnect),
        ("shared-file-list-response", on_browsed),
        ("user-info-response", on_info),
        ("folder-contents-response", on_folder),
        ("join-room", on_room_joined),
        ("say-chat-room", on_room_message),
        ("room-list", on_room_list),
        ("user-joined-room", lambda msg: emit(event="came", room=msg.room, user=msg.userdata.username)),
        ("user-left-room", lambda msg: emit(event="went", room=msg.room, user=msg.username)),
    ):
        events.connect(name, callback)  # after the core's own handlers: they run first
    core.start()
    core.connect()
    threading.Thread(target=read_commands, name="commands", daemon=True).start()
    while events.process_thread_events():
        time.sleep(POLL_S)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

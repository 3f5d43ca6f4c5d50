"""Nicotine+ (GPL-3.0, a test tool only) logged in to a simulated network, from the test's side.

Each client is a child process running `tests/nicotine_driver.py` with a HOME of its own:
Nicotine+ keeps its core in module globals, so one process holds one client, and nothing of it
is imported here. The driver reports what Nicotine+ does as JSON lines; `wait_for` reads them.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

from tests.servers.local import closed_port

DRIVER = Path(__file__).with_name("nicotine_driver.py")
WAIT_S = 10.0  # Nicotine+ polls its events ten times a second and starts in about a second
QUIT_S = 10.0


class NicotineClient:
    """`with NicotineClient(port, "nico", home) as nico:` Nicotine+ connects at once."""

    def __init__(self, server_port: int, username: str, home: Path, password: str = "nico-pw") -> None:
        self.listen_port = closed_port()
        home.mkdir(parents=True, exist_ok=True)
        environment = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / "config")}
        environment["XDG_DATA_HOME"] = str(home / "data")
        self._stderr = home / "stderr.log"  # a file, not a pipe: a full pipe would stall the child
        with self._stderr.open("w") as stderr:
            self._process = self._start(server_port, username, password, home, environment, stderr)
        self.events: list[dict[str, Any]] = []
        self._incoming: queue.Queue[dict[str, Any] | None] = queue.Queue()
        threading.Thread(target=self._read_events, name=f"nicotine-{username}", daemon=True).start()

    def _start(
        self,
        server_port: int,
        username: str,
        password: str,
        home: Path,
        environment: dict[str, str],
        stderr: IO[str],
    ) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, str(DRIVER), str(server_port), username, password, str(self.listen_port)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            cwd=home,
            env=environment,
        )

    def _read_events(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            if line.startswith("{"):  # the driver's reports; anything else is Nicotine+ talking
                self._incoming.put(json.loads(line))
        self._incoming.put(None)  # the process ended

    def wait_for(self, event: str, **fields: Any) -> dict[str, Any]:
        """The first event of this kind with these field values, seen before or within WAIT_S."""
        deadline = time.monotonic() + WAIT_S
        while True:
            for seen in self.events:
                if seen["event"] == event and all(seen.get(k) == v for k, v in fields.items()):
                    return seen
            try:
                arrived = self._incoming.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(
                    f"Nicotine+ never reported {event} {fields}; saw {self.events}"
                ) from None
            if arrived is None:
                raise AssertionError(f"Nicotine+ ended before {event} {fields}: {self._stderr_tail()}")
            self.events.append(arrived)

    def send(self, to: str, text: str) -> None:
        self._command({"do": "send", "to": to, "text": text})

    def ask(self, what: str, user: str, folder: str | None = None) -> None:
        """A browse, a user info or a folder's contents ("browse", "info", "folder") from `user`."""
        self._command({"do": "ask", "what": what, "user": user} | ({"folder": folder} if folder else {}))

    def join(self, room: str, private: bool = False) -> None:
        self._command({"do": "join", "room": room, "private": private})

    def say_in(self, room: str, text: str) -> None:
        self._command({"do": "say", "room": room, "text": text})

    def leave(self, room: str) -> None:
        self._command({"do": "leave", "room": room})

    def connect(self) -> None:
        self._command({"do": "connect"})

    def _command(self, command: dict[str, object]) -> None:
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps(command) + "\n")
        self._process.stdin.flush()

    def stop(self) -> None:
        """Quit as its user would; killed when it does not end within QUIT_S."""
        try:
            self._command({"do": "quit"})
            self._process.wait(QUIT_S)
        except (OSError, subprocess.TimeoutExpired):
            self._process.kill()
            self._process.wait()

    def _stderr_tail(self) -> str:
        self.stop()
        return self._stderr.read_text(errors="replace")[-2000:]

    def __enter__(self) -> NicotineClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

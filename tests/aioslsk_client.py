"""aioslsk (GPL-3.0, a test tool only) logged in to a simulated network, for the tests that use it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from aioslsk.client import SoulSeekClient
from aioslsk.events import PrivateMessageEvent
from aioslsk.protocol.messages import PrivateChatMessageAck
from aioslsk.settings import Settings

from conformance.network.server import NetworkServer
from tests.servers.local import closed_port

WAIT_S = 5.0


class Inbox:
    """The private messages one client received (aioslsk holds listeners weakly: keep this alive)."""

    def __init__(self) -> None:
        self.events: asyncio.Queue[PrivateMessageEvent] = asyncio.Queue()

    async def on_message(self, event: PrivateMessageEvent) -> None:
        await self.events.put(event)

    async def next(self) -> PrivateMessageEvent:
        return await asyncio.wait_for(self.events.get(), WAIT_S)


@contextlib.asynccontextmanager
async def logged_in(
    network: NetworkServer, username: str, downloads: Path, *, acknowledge: bool = True
) -> AsyncIterator[tuple[SoulSeekClient, Inbox]]:
    """An aioslsk client logged in to `network`; with acknowledge=False it never acknowledges."""
    settings = Settings(
        credentials={"username": username, "password": f"{username}-password"},
        network={
            "server": {"hostname": "127.0.0.1", "port": network.port},
            "listening": {"port": closed_port(), "obfuscated_port": closed_port()},
            "upnp": {"enabled": False},
        },
        shares={"scan_on_start": False, "download": str(downloads)},
        rooms={"auto_join": False},
    )
    client = SoulSeekClient(settings)
    inbox = Inbox()
    client.events.register(PrivateMessageEvent, inbox.on_message)
    if not acknowledge:
        send = client.network.send_server_messages

        async def without_acks(*messages: object, **options: object) -> object:
            kept = [m for m in messages if not isinstance(m, PrivateChatMessageAck.Request)]
            return await send(*kept, **options)

        client.network.send_server_messages = without_acks  # type: ignore[method-assign]
    await client.start()
    try:
        await asyncio.wait_for(client.login(), WAIT_S)
        yield client, inbox
    finally:
        await client.stop()


async def until(condition: Callable[[], object], what: str) -> None:
    """Poll the network's records (the server acts on its own thread) for up to WAIT_S."""
    for _ in range(int(WAIT_S / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")

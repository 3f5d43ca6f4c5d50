"""The Conversations API in the reference server: its routes and the operations they name.

The routes are slskd's (ConversationsController), matched by the server's router like every
other route; `emulate` binds them to the emulation over the server's store and network, and
hands the network the emulation's receiver, so a peer's message lands in a conversation.
"""

from __future__ import annotations

from conformance.apis.conversations.emulation import ConversationsApi
from conformance.apis.interface import Backing, Emulation
from conformance.reference.routes import API, Operation, Route

CONVERSATIONS = (*API, "conversations")
ROUTES = (
    Route(CONVERSATIONS, {"GET": "list_conversations"}),
    Route(
        (*CONVERSATIONS, "{username}"),
        {"GET": "get_conversation", "POST": "send", "PUT": "acknowledge_all", "DELETE": "close"},
    ),
    Route((*CONVERSATIONS, "{username}", "messages"), {"GET": "messages"}),
    Route((*CONVERSATIONS, "{username}", "{id}"), {"PUT": "acknowledge"}),
)


def emulate(backing: Backing) -> Emulation:
    """The seven operations over the server's store, clock and network."""
    c = ConversationsApi(
        backing.options, backing.store, backing.network, backing.clock, backing.representation
    )
    operations = {
        "list_conversations": Operation(c.list_conversations),
        "get_conversation": Operation(c.get_conversation),
        "messages": Operation(c.messages),
        "send": Operation(c.send, reads_body=True),
        "acknowledge": Operation(c.acknowledge),
        "acknowledge_all": Operation(c.acknowledge_all),
        "close": Operation(c.close),
    }
    return Emulation(ROUTES, operations, receive=c.receive)

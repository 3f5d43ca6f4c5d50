"""How Schemathesis' generated cases read on Conversations where the generic mapping is wrong.

On the send, a schema-violating message accepted is a broken 400 (CONV-SEND-INVALID-400),
not a lenient binding, and a valid one rejected is a broken 201 (CONV-SEND-201); and a send
to a username that is only whitespace answering 400 is a refusal the docs allow, not "valid
input rejected". `API` declares both (`Api.failures`, `Api.refusals`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from conformance.apis.conversations.ids import Conv

SEND_LABEL = "POST /conversations/{username}"

# (operation, Schemathesis failure code, the requirement it breaks there)
FAILURES = (
    (SEND_LABEL, "ST201", Conv.CONV_SEND_INVALID_400),  # schema-violating input accepted
    (SEND_LABEL, "ST202", Conv.CONV_SEND_201),  # schema-valid input rejected
)


def refuses_a_blank_username(case: Any, response: Any, failure: Any) -> bool:
    """A send to a username that is only whitespace (or empty) answered 400: the schema lets
    any string through, but no Soulseek user has such a name (slskd refuses it: facts) and the
    docs list 400 for a send the server cannot make, so it is no "valid input rejected"."""
    username = unquote(str((case.path_parameters or {}).get("username", "")))
    return (
        failure.code == "ST202"
        and case.operation.label == SEND_LABEL
        and response.status_code == 400
        and not username.strip()
    )

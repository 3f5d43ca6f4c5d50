"""One HTTP request/response pair, as evidence for a requirement's verdict.

Exchanges are captured at the transport (every request the run sends goes through it)
and kept raw in memory; secrets are redacted only when they are written out, by
`conformance.transport.redaction`, so that no artifact can carry a key by accident.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

BODY_LIMIT = 2000  # characters of a body kept as evidence; enough to read, small enough to ship


def truncate(text: str | None, limit: int = BODY_LIMIT) -> str | None:
    if text is None or len(text) <= limit:
        return text
    return f"{text[:limit]}… [{len(text) - limit} more characters]"


@dataclass
class Exchange:
    method: str
    url: str
    request_headers: dict[str, str] = field(default_factory=dict)
    request_body: str | None = None
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: str | None = None
    elapsed_ms: float = 0.0
    error: str | None = None  # a transport error instead of a response (timeout, refused …)

    def to_dict(self) -> dict[str, Any]:
        """The results.json shape: request/response sub-objects, bodies truncated."""
        data = asdict(self)
        return {
            "request": {
                "method": data["method"],
                "url": data["url"],
                "headers": data["request_headers"],
                "body": truncate(data["request_body"]),
            },
            "response": None
            if self.status is None
            else {
                "status": data["status"],
                "headers": data["response_headers"],
                "body": truncate(data["response_body"]),
                "elapsed_ms": round(data["elapsed_ms"], 2),
            },
            "error": self.error,
        }


def operation_of(method: str, url: str, labels: list[str]) -> str | None:
    """Which of `labels` ("GET /shares/{id}/contents") a request to `url` called."""
    path = urlsplit(url).path.rstrip("/")
    for label in labels:
        verb, _, template = label.partition(" ")
        pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template.rstrip("/")))
        if verb == method.upper() and re.search(f"{pattern}$", path):
            return label
    return None

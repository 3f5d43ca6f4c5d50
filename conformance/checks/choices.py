"""Which accepted reading a server took, where the docs leave a choice (catalogue `readings:`).

Each function looks at what the server showed and names the reading, or None when what it
showed is none of the accepted ones (the requirement's own check then judges it).
"""

from __future__ import annotations

from collections.abc import Sequence

from conformance.checks.timestamps import zone_reading
from conformance.requirements.ids import Req


def is_ordinal(names: Sequence[str]) -> bool:
    """Whether `names` are in one of CONV-LIST-ORDER's accepted orders: by code point (what
    SQLite gives slskd) or by UTF-16 code unit (.NET's ordinal comparison)."""
    listed = list(names)
    return listed in (sorted(listed), sorted(listed, key=lambda name: name.encode("utf-16-be")))


def media_type_reading(content_type: str | None) -> str | None:
    """API-CONTENT-TYPE: JSON with a charset parameter, or without any."""
    media_type, _, parameters = (content_type or "").partition(";")
    if media_type.strip().lower() != "application/json":
        return None
    return "charset-utf-8" if "charset" in parameters.lower() else "no-parameter"


READERS = {Req.API_CONTENT_TYPE: media_type_reading, Req.API_TIMESTAMP_UTC: zone_reading}

"""Where a run keeps what is worth keeping between runs: Hypothesis' storage, per user.

Hypothesis stores its Unicode tables (computed once per Python version: 1–2 s of CPU) and
the constants it reads from source files in `.hypothesis/` under the *current directory*, so
each directory a user runs the checker from would get one, and pay that cost again. A run
points the storage at the user's cache instead, `$XDG_CACHE_HOME/slskd-conformance` (or
`~/.cache/…`), else a per-user folder in the temporary directory; only the first run on a
machine pays. A user's own `HYPOTHESIS_STORAGE_DIRECTORY` wins. The suite keeps no example
database there (`database=None`): what a run sends depends on its --seed alone.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

from hypothesis.configuration import set_hypothesis_home_dir

NAME = "slskd-conformance"
HYPOTHESIS_VARIABLE = "HYPOTHESIS_STORAGE_DIRECTORY"


def keep_hypothesis_storage() -> Path | None:
    """Point Hypothesis' storage at the user's cache; returns where, or None (left as it was)."""
    if os.environ.get(HYPOTHESIS_VARIABLE):
        return None
    directory = next(filter(_usable, _candidates()), None)
    if directory is not None:
        set_hypothesis_home_dir(directory / "hypothesis")
    return directory


def _candidates() -> Iterator[Path]:
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    if os.path.isabs(xdg):  # the spec: a relative value is ignored
        yield Path(xdg) / NAME
    with suppress(RuntimeError):  # no home directory to be found
        yield Path.home() / ".cache" / NAME
    yield Path(tempfile.gettempdir()) / f"{NAME}-{_user()}"


def _usable(directory: Path) -> bool:
    """A directory of this user's that it can write to (created if missing)."""
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        owned = not hasattr(os, "getuid") or directory.stat().st_uid == os.getuid()
        return owned and os.access(directory, os.W_OK | os.X_OK)
    except OSError:
        return False


def _user() -> str:
    return str(os.getuid()) if hasattr(os, "getuid") else os.environ.get("USERNAME", "user")

"""Each option's value on its own: parsed, checked, and refused in one readable line.

`conformance.cli.config` combines them (which options go together, which defaults apply to a
live target); here each function knows one option and raises `ConfigError` (exit 2) with a
message that names it and says what would be accepted.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from conformance.errors import ConfigError
from conformance.reference.faults import FAULTS, validate_faults
from conformance.reference.options import BEHAVIOURS, DOCUMENTED
from conformance.reference.variants import VARIANTS
from conformance.transport.pacing import Rate, parse_rate
from conformance.transport.policy import API_PREFIX, Profile

VERSION = re.compile(r"^v?\d+\.\d+\.\d+([.+-][0-9A-Za-z.+-]*)?$")
UNPACED = ("none", "unlimited")  # --rate none: send as fast as the target answers


def normalise_target_url(text: str) -> str:
    """`HTTP://Host:5030/api/v0/` → `http://host:5030`; a url_base path such as /slskd is kept."""
    try:
        parts = urlsplit(text.strip())
    except ValueError as error:  # e.g. an unclosed IPv6 bracket: "http://[::1"
        raise ConfigError(f"--target-url is not a valid URL ({error}; got {text!r})") from None
    if parts.username is not None or parts.password is not None:
        raise ConfigError(
            "--target-url must not carry credentials (user:password@); "
            "use --username/--password or SLSKD_USERNAME/SLSKD_PASSWORD"
        )
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"--target-url must be an http:// or https:// URL like http://localhost:5030 (got {text!r})"
        )
    try:
        parts.port  # noqa: B018  (raises on a port that is not a number in range)
    except ValueError:
        raise ConfigError(f"--target-url has an invalid port (got {text!r})") from None
    if parts.query or parts.fragment:
        raise ConfigError("--target-url must not have a query or fragment (a key there would leak into logs)")
    path = parts.path.rstrip("/")
    if path.lower().endswith(API_PREFIX):
        path = path[: -len(API_PREFIX)].rstrip("/")
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{path}"


def network_control(value: str | None, target_url: str | None) -> str | None:
    if value is None:
        return None
    if target_url is None:
        raise ConfigError("--network-control needs --target-url: the embedded server writes to no network")
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ConfigError(f"--network-control must be a URL like http://127.0.0.1:2272 (got {value!r})")
    return value.strip().rstrip("/")


def profile(value: str | None, target_url: str | None, *, understood: bool, simulated: bool) -> Profile:
    """--profile, else full where no real user can be written to (the embedded server, or a target
    `--network-control` will prove is on the simulated network before any write), else read-only."""
    if value is None:
        return Profile.FULL if simulated or not target_url else Profile.READ_ONLY
    try:
        profile = Profile(value)
    except ValueError:
        choices = ", ".join(p.value for p in Profile)
        raise ConfigError(f"--profile must be one of {choices} (got {value!r})") from None
    if profile is Profile.FULL and target_url and not understood:
        raise ConfigError(
            "--profile full against a live target sends messages to real Soulseek users; "
            "add --network-control URL (a simulated network), --i-understand-this-messages-real-users, "
            "or use --profile safe-writes with --peer USER"
        )
    return profile


def rate(value: str | None, default: Rate | None) -> Rate | None:
    if value is None:
        return default
    if value.lower() in UNPACED:
        return None
    rate = parse_rate(value)
    if rate is None:
        raise ConfigError(f"--rate must look like 5/s or 300/m, and be at least 1/h (got {value!r})")
    return rate


def number(
    option: Callable[[str], Any],
    name: str,
    kind: type[int] | type[float],
    *,
    minimum: float,
    default: Any,
    inclusive: bool = True,
    maximum: float | None = None,
) -> Any:
    value = option(name)
    if value is None:
        return default
    bound = f"at least {minimum:g}" if inclusive else f"greater than {minimum:g}"
    if maximum is not None:
        bound += f" and at most {maximum:g}"
    try:
        number = kind(value)
    except ValueError:
        raise ConfigError(f"{name} must be a number {bound} (got {value!r})") from None
    too_big = maximum is not None and number > maximum
    if not math.isfinite(number) or number < minimum or (number == minimum and not inclusive) or too_big:
        raise ConfigError(f"{name} must be a number {bound} (got {value!r})")
    return number


def spec_file(path: Path) -> Path:
    """The spec file, checked to be an OpenAPI JSON document (not, say, the README)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"spec file not found: {path} (give --spec PATH)") from None
    except (OSError, UnicodeDecodeError, ValueError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not JSON"
        raise ConfigError(f"--spec {path}: cannot read an OpenAPI JSON document ({reason})") from None
    if not (isinstance(document, dict) and "openapi" in document and isinstance(document.get("paths"), dict)):
        raise ConfigError(f"--spec {path}: not an OpenAPI document (no openapi and paths fields)")
    return path


def reports_dir(path: Path) -> Path:
    """The reports folder, checked before the run: a run must not end without its reports."""
    existing = next(folder for folder in (path, *path.absolute().parents) if folder.exists())
    if not existing.is_dir():
        raise ConfigError(f"--reports-dir {path}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(f"--reports-dir {path}: {existing} is not writable")
    return path


def live(target_url: str | None, value: Any) -> Any:
    """A default that applies to live targets only (the embedded server needs no protection)."""
    return value if target_url else None


def behaviour(value: str | None, target_url: str | None) -> str | None:
    if target_url:
        return None
    if value is not None and value not in BEHAVIOURS:
        raise ConfigError(f"--server-behaviour must be one of {', '.join(BEHAVIOURS)} (got {value!r})")
    return value or DOCUMENTED


def faults(names: list[str] | None) -> tuple[str, ...]:
    """The seeded faults to switch on, known ones only (`conformance serve --help` lists them)."""
    try:
        validate_faults(names or ())
    except ValueError:
        unknown = sorted(set(names or ()) - FAULTS.keys())
        raise ConfigError(
            f"--reference-fault: unknown fault {', '.join(unknown)} (`conformance serve --help` lists them)"
        ) from None
    return tuple(names or ())


def variants(names: list[str] | None) -> tuple[str, ...]:
    """The representation variants to switch on, known ones only (`conformance serve --list-variants`)."""
    unknown = sorted(set(names or ()) - VARIANTS.keys())
    if unknown:
        raise ConfigError(
            f"--reference-variant: unknown variant {', '.join(unknown)} "
            "(`conformance serve --list-variants` lists them)"
        )
    return tuple(names or ())


def server_version(value: str | None) -> str | None:
    if value is not None and not VERSION.match(value):
        raise ConfigError(f"--server-version must look like 0.26.0 (got {value!r})")
    return value

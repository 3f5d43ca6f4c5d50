"""The requirement catalogue: requirements are data, the code that reads them is small.

Every check names the requirement IDs it verifies, so verdicts roll up per requirement
and a requirement that no check touched shows up as "not covered". Each API keeps its part
of the catalogue in its own package (`conformance.apis`); the catalogue is their union.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

from conformance.data.yaml_files import read_yaml


class Level(StrEnum):
    MUST = "MUST"  # documented contract: a failure is a defect
    SHOULD = "SHOULD"  # real slskd behaviour the docs leave unstated: a failure is a defect
    INFO = "INFO"  # documentation gap: reported, fails only with --strict-docs


class Need(StrEnum):
    """What a target must offer to show a requirement, least first: each offers the ones before.

    A target not logged in to Soulseek still offers what a write creates even when it fails
    (an API's state on the server, e.g. a thread a failed send opens), so the checks of
    everything below `OUTGOING` run there too."""

    NOTHING = "nothing"
    CREATED = "created"  # what the run's writes create on the target, even when they fail
    OUTGOING = "outgoing"  # sends that succeed: logged in to the Soulseek network
    INCOMING = "incoming"  # messages from a peer: logged in, and a peer that writes

    @property
    def rank(self) -> int:
        return list(Need).index(self)

    def offers(self, needed: Need) -> bool:
        """Whether a target that offers `self` can show a requirement that needs `needed`."""
        return needed.rank <= self.rank

    def missing(self, needed: Need) -> str | None:
        """None when a target offering `self` can show what needs `needed`; else the skip reason."""
        return None if self.offers(needed) else _MISSING[needed]


_NOT_LOGGED_IN = "the target is not logged in to the Soulseek network, so sends answer 500 by design"
_MISSING = {
    Need.OUTGOING: f"needs a logged-in target: {_NOT_LOGGED_IN}",
    Need.INCOMING: f"needs incoming messages from a peer, so a logged-in target: {_NOT_LOGGED_IN}",
}


def parse_version(text: str) -> tuple[int, ...]:
    """'0.26.0' or 'v0.26.0-13' → (0, 26, 0); anything unparsable sorts as newest."""
    core = text.strip().lstrip("v").split("-")[0].split("+")[0]
    try:
        return tuple(int(part) for part in core.split("."))
    except ValueError:
        return (999,)


@dataclass(frozen=True)
class Reading:
    """One way a server may meet a requirement where the docs (and slskd's facts) leave a
    choice; every listed reading is accepted, and a check that sees which one the server
    took records it as DOCGAP-READING (INFO)."""

    id: str
    says: str
    source: str
    answers: tuple[int, ...] = ()  # statuses this reading accepts wherever the requirement is checked


@dataclass(frozen=True)
class Requirement:
    id: str
    level: Level
    statement: str
    operations: tuple[str, ...]  # operation labels, e.g. "GET /application"
    source: str
    tag: str = "API"  # the docs page (the API) it belongs to
    since: str | None = None
    until: str | None = None
    readings: tuple[Reading, ...] = ()  # empty: the docs and facts allow one reading only
    needs: Need = Need.NOTHING  # what the target must offer to show it

    def reading(self, id: str) -> Reading:
        """The accepted reading `id`; KeyError names a reading the catalogue does not list."""
        for reading in self.readings:
            if reading.id == id:
                return reading
        raise KeyError(f"{self.id} lists no reading {id!r}")

    def applies_to(self, version: str | None) -> bool:
        """Whether a server of `version` is expected to meet this requirement (unknown: yes)."""
        if version is None:
            return True
        current = parse_version(version)
        if self.since and current < parse_version(self.since):
            return False
        return not (self.until and current >= parse_version(self.until))


def catalogue_paths() -> tuple[Path, ...]:
    """The catalogue files of the installed APIs, in the registry's order."""
    from conformance.apis import installed  # at call time: the APIs import the engine

    return tuple(path for api in installed() if (path := api.file(api.catalogue)) is not None)


def load_catalogue(paths: Path | Iterable[Path] | None = None) -> dict[str, Requirement]:
    """Every requirement of `paths` (default: every installed API's catalogue); an id two
    files define is a catalogue bug."""
    chosen = catalogue_paths() if paths is None else (paths,) if isinstance(paths, Path) else tuple(paths)
    return _load(chosen)


@cache
def _load(paths: tuple[Path, ...]) -> dict[str, Requirement]:
    catalogue: dict[str, Requirement] = {}
    for path in paths:
        for requirement in _requirements(read_yaml(path)):
            if requirement.id in catalogue:
                raise ValueError(f"{requirement.id} is defined twice (again in {path})")
            catalogue[requirement.id] = requirement
    return catalogue


def _requirements(data: dict[str, Any]) -> Iterable[Requirement]:
    labels: dict[str, str] = data.get("operations", {})
    for raw in data["requirements"]:
        yield Requirement(
            id=raw["id"],
            level=Level(raw["level"]),
            statement=raw["statement"],
            operations=tuple(labels.get(op, op) for op in raw["operations"]),
            source=raw["source"],
            tag=raw.get("tag", data["tag"]),
            since=raw.get("since"),
            until=raw.get("until"),
            readings=tuple(_reading(raw) for raw in raw.get("readings", ())),
            needs=_need(raw),
        )


def _need(raw: dict[str, Any]) -> Need:
    """Every catalogued requirement says what it needs: a missing or unknown value is a catalogue bug."""
    try:
        return Need(raw["needs"])
    except (KeyError, ValueError):
        raise ValueError(
            f"{raw['id']}: needs must be one of {', '.join(Need)} (got {raw.get('needs')!r})"
        ) from None


def _reading(raw: dict[str, Any]) -> Reading:
    return Reading(raw["id"], raw["says"], raw["source"], tuple(raw.get("answers", ())))

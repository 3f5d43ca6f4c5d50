"""What a verdict means: the level rule, version applicability and accepted readings, once.

A check only says what it saw ("this requirement held / did not, because …"). Whether a
failure is a *defect* (it fails the run) or a *documentation gap* (reported, not counted)
depends on the requirement's level and on `--strict-docs`; whether it counts at all
depends on the target's version. Every part of the tool asks this module: the checks while
they run (the `Judge`), the results roll-up, the report views, the comparison of two runs
and the mutation runner, so they can never disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from conformance.requirements.catalogue import Level, Need, Requirement
from conformance.requirements.ids import Req

FAIL = "fail"


def is_doc_gap(level: Level | str, status: str) -> bool:
    """A failed INFO requirement: the server does something the documentation does not say."""
    return status == FAIL and level == Level.INFO


def is_defect(level: Level | str, status: str, strict_docs: bool) -> bool:
    """The level rule: a failure is a defect unless the level is INFO (or --strict-docs)."""
    return status == FAIL and (level != Level.INFO or strict_docs)


def failed_is_defect(level: Level | str, strict_docs: bool) -> bool:
    """`is_defect` for a verdict just reached: would a failure of this level be a defect?"""
    return is_defect(level, FAIL, strict_docs)


Record = Callable[..., None]  # CaseRecorder.record(requirement, ok, message, check=, exchanges=)


@dataclass(frozen=True)
class Judge:
    """Judges the verdicts of one run's checks against the catalogue and records the evidence.

    `verdict` is the one door a verdict goes through: a requirement that does not apply to
    the target's version, or that needs more than the target offers (a send that fails with 500
    because the target is not logged in says nothing of CONV-SEND-201), is neither recorded nor
    a defect; anything else is recorded (with the current evidence window unless `exchanges`
    are given) and reported back as a defect or not.
    """

    catalogue: Mapping[str, Requirement]
    version: str | None
    record: Record
    strict_docs: bool = False
    offers: Need = Need.INCOMING

    def applies(self, requirement: str) -> bool:
        found = self.catalogue[requirement]
        return found.applies_to(self.version) and self.offers.offers(found.needs)

    def is_defect(self, requirement: str, ok: bool) -> bool:
        return not ok and failed_is_defect(self.catalogue[requirement].level, self.strict_docs)

    def verdict(
        self,
        requirement: str,
        ok: bool,
        message: str = "",
        *,
        check: str,
        recorded: bool = True,
        exchanges: Iterable[Any] | None = None,
    ) -> bool:
        """Judge one verdict; True when it is a defect. `recorded=False` judges without recording
        (the state machine does not record again a defect it has already shrunk)."""
        if not self.applies(requirement):
            return False
        if recorded:
            self.record(requirement, ok, "" if ok else message, check=check, exchanges=exchanges)
        return self.is_defect(requirement, ok)

    def accepts(self, requirement: str, observed: Any) -> bool:
        """Whether `observed` is another reading the documentation allows for `requirement`.

        The catalogue lists them per requirement (`readings`, each with the `answers` it allows
        wherever the requirement is checked); most list none, and then only the expected answer
        passes."""
        return any(observed in reading.answers for reading in self.catalogue[requirement].readings)

    def took_reading(self, requirement: str, reading: str, what: str, *, check: str) -> None:
        """Record which of `requirement`'s accepted readings the server took (a reading that
        holds only in some states, which the check decides): an INFO finding, DOCGAP-READING."""
        says = self.catalogue[requirement].reading(reading).says
        message = f"{requirement} read as {reading!r} ({says}): {what}"
        self.verdict(Req.DOCGAP_READING, False, message, check=check)

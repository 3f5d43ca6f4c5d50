"""The exception a defect raises inside a Hypothesis test: one class per requirement.

Hypothesis tells failures apart by exception type and location while it shrinks; a class
per requirement keeps it shrinking towards the same defect instead of drifting to another.
"""

from __future__ import annotations

from functools import cache


class RequirementFailed(AssertionError):
    """A MUST/SHOULD requirement failed in a generated test."""

    requirement = ""


@cache
def failure_for(requirement: str) -> type[RequirementFailed]:
    name = "".join(part.title() for part in requirement.split("-")) + "Failed"
    return type(name, (RequirementFailed,), {"requirement": requirement})

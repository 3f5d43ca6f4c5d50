"""Which checks verify which requirement: every check registers itself with its requirements.

A check is anything that reaches verdicts (a per-response check, a probe, a rule of the state
machine, Schemathesis' generic checks); `@check(Req.X, …)` on its definition states what it
verifies, so "which checks verify CONV-X?" is a query (`checks_for`) instead of a grep, and
a requirement no check names shows up in `tests/test_registry.py` before it shows up as
"not covered" in a report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Check:
    name: str  # module-qualified, e.g. "responses.no_nulls"
    kind: str  # "response", "probe", "stateful", "schemathesis", "auth", "generic-read"
    requirements: tuple[str, ...]
    doc: str  # the first sentence of its docstring: what it asks


_CHECKS: dict[str, Check] = {}


def register(name: str, kind: str, requirements: tuple[str, ...], doc: str = "") -> Check:
    """Register a check that is not a function (a probe scenario given as data). Registering
    the same check again (a module imported twice) changes nothing; another one by that name
    is an error."""
    registered = Check(name, kind, tuple(dict.fromkeys(map(str, requirements))), doc)
    if _CHECKS.setdefault(name, registered) != registered:
        raise ValueError(f"two different checks are named {name!r}")
    return registered


def check(*requirements: str, kind: str) -> Callable[[T], T]:
    """Decorator: the function (or class) verifies `requirements`."""

    def decorate(target: T) -> T:
        module = getattr(target, "__module__", "").rsplit(".", 1)[-1]
        paragraph = " ".join((getattr(target, "__doc__", None) or "").strip().split("\n\n")[0].split())
        doc = paragraph.split(". ")[0]
        register(f"{module}.{getattr(target, '__qualname__', target)}", kind, requirements, doc)
        return target

    return decorate


def all_checks() -> tuple[Check, ...]:
    """Every registered check, once the check modules are imported (`conformance.checks.load`)."""
    return tuple(_CHECKS.values())


def checks_for(requirement: str) -> tuple[Check, ...]:
    """The checks that verify `requirement`, by name (whatever order their modules loaded in)."""
    return tuple(sorted((c for c in _CHECKS.values() if requirement in c.requirements), key=lambda c: c.name))

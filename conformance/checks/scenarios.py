"""Probes that are data (an API's `scenarios.yaml`): a request sequence and the answers it expects.

Most probes ask "does this request, after those, answer that status?"; written as data they
read as the protocol they pin down, and one small runner sends them through a `Probe`, so
they are judged (and their responses checked) exactly like the probes that stay code.
Each scenario registers itself as a check of the requirements it names.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from conformance.apis import installed
from conformance.checks.context import request_line
from conformance.checks.probes import JSON, Probe, unknown_user
from conformance.data.yaml_files import read_yaml
from conformance.requirements.catalogue import Need
from conformance.requirements.registry import register


@dataclass(frozen=True)
class Answers:
    """Which statuses an expectation accepts: "404", "4xx|5xx", or "!5xx" (anything but)."""

    text: str

    def accept(self, status: int) -> bool:
        negated = self.text.startswith("!")
        alternatives = self.text.lstrip("!").split("|")
        matched = any(_matches(alternative, status) for alternative in alternatives)
        return matched != negated

    def describe(self) -> str:
        spoken = self.text.lstrip("!").replace("|", " or ")
        return f"anything but {spoken}" if self.text.startswith("!") else spoken


def _matches(alternative: str, status: int) -> bool:
    if alternative.endswith("xx"):
        return str(status)[0] == alternative[0]
    return status == int(alternative)


@dataclass(frozen=True)
class Step:
    """One request of a scenario and what each requirement expects of its answer."""

    method: str
    path: tuple[str, ...]  # segments below /api/v0, with {user}-style placeholders
    params: dict[str, str] | None = None
    json: Any = None
    sends_json: bool = False  # `json` is sent (null included)
    body: str | None = None
    content_type: str | None = None
    expect: dict[str, Answers] = field(default_factory=dict)

    def send(self, probe: Probe, names: dict[str, str]) -> None:
        segments = [segment.format(**names) for segment in self.path]
        kwargs: dict[str, Any] = {"params": self.params}
        headers = (
            {"Content-Type": self.content_type or JSON} if self.content_type or self.sends_json else None
        )
        if self.sends_json:
            kwargs["data"] = json.dumps(self.json)
        elif self.body is not None:
            kwargs["data"] = self.body
        response = probe.call(self.method, *segments, headers=headers, **kwargs)
        for requirement, answers in self.expect.items():
            probe.check(
                requirement,
                answers.accept(response.status_code)
                or probe.ctx.judge.accepts(requirement, response.status_code),
                f"{request_line(response)} answered {response.status_code}, expected {answers.describe()}",
            )


@dataclass(frozen=True)
class Scenario:
    name: str
    user: str | None  # unknown | fresh | writable | blacklisted | None (no username)
    steps: tuple[Step, ...]
    stem: str = "probe"
    stores_nothing: str | None = None  # the requirement that the steps change nothing
    needs: Need = Need.NOTHING  # beyond what its requirements need (a scene set by stored sends)

    @property
    def requirements(self) -> tuple[str, ...]:
        named = [r for step in self.steps for r in step.expect]
        return tuple(dict.fromkeys([*named, *([self.stores_nothing] if self.stores_nothing else [])]))

    def username(self, probe: Probe) -> str:
        if self.user == "unknown":
            return unknown_user()
        if self.user == "fresh":
            return probe.fresh_user(self.stem)
        if self.user == "writable":
            return probe.writable_user()
        if self.user == "blacklisted":
            if not probe.ctx.blacklisted:
                pytest.skip("no blacklisted username known (--blacklisted-peer)")
            return probe.ctx.blacklisted[0]
        return ""

    def run(self, probe: Probe) -> None:
        """Send the steps in order, judging each expectation; fail the item on defects."""
        probe.require(self.needs)
        user = self.username(probe)
        names = {"user": user, "user_lower": user.lower(), "user_upper": user.upper()}
        if self.stores_nothing:
            with probe.stores_nothing(user, self.stores_nothing):
                for step in self.steps:
                    step.send(probe, names)
        else:
            for step in self.steps:
                step.send(probe, names)
        probe.done()


def _step(raw: dict[str, Any]) -> Step:
    method, _, path = raw["call"].partition(" ")
    return Step(
        method=method,
        path=tuple(path.split("/")),
        params=raw.get("params"),
        json=raw.get("json"),
        sends_json="json" in raw,
        body=raw.get("body"),
        content_type=raw.get("content_type"),
        expect={requirement: Answers(str(text)) for requirement, text in raw.get("expect", {}).items()},
    )


def scenario_paths() -> tuple[Path, ...]:
    """The scenario files of the installed APIs."""
    return tuple(path for api in installed() if (path := api.file(api.scenarios)) is not None)


def load_scenarios(paths: tuple[Path, ...] | None = None) -> tuple[Scenario, ...]:
    """The scenarios of `paths` (default: every installed API's), each registered as a check
    of the requirements it names."""
    return tuple(s for path in (scenario_paths() if paths is None else paths) for s in _load(path))


@cache
def _load(path: Path) -> tuple[Scenario, ...]:
    scenarios = []
    for raw in read_yaml(path)["scenarios"]:
        scenario = Scenario(
            name=raw["name"],
            user=raw.get("user"),
            steps=tuple(_step(step) for step in raw["steps"]),
            stem=raw.get("stem", "probe"),
            stores_nothing=raw.get("stores_nothing"),
            needs=Need(raw.get("needs", Need.NOTHING)),
        )
        register(f"scenarios.{scenario.name}", "probe", scenario.requirements, f"scenario {scenario.name}")
        scenarios.append(scenario)
    return tuple(scenarios)

"""The requirement catalogue is well-formed data, and the code names only real requirements."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from conformance.apis import claimed_tags, installed
from conformance.apis.conversations import API as CONVERSATIONS
from conformance.apis.shapes import PAGES
from conformance.requirements.catalogue import Level, Need, load_catalogue, parse_version

PACKAGE = Path(__file__).resolve().parents[1] / "conformance"
CATALOGUE_PATH = CONVERSATIONS.file(CONVERSATIONS.catalogue)
CATALOGUES = {api.file(api.catalogue) for api in installed() if api.catalogue}
# An API package may be declared before it is registered: its ids are real too.
DECLARED = {*CATALOGUES, *(PACKAGE / "apis").glob("*/requirements.yaml")}
CONVERSATIONS_OPERATIONS = {
    "GET /conversations",
    "GET /conversations/{username}",
    "GET /conversations/{username}/messages",
    "POST /conversations/{username}",
    "PUT /conversations/{username}/{id}",
    "PUT /conversations/{username}",
    "DELETE /conversations/{username}",
}


def test_the_catalogue_holds_at_least_40_requirements_over_all_7_operations() -> None:
    catalogue = load_catalogue()
    assert len(catalogue) >= 40
    covered = {op for requirement in catalogue.values() for op in requirement.operations}
    assert covered >= CONVERSATIONS_OPERATIONS


def test_every_requirement_has_a_statement_a_source_and_a_level() -> None:
    for requirement in load_catalogue().values():
        assert re.fullmatch(r"[A-Z0-9]+(-[A-Z0-9]+)+", requirement.id)
        assert requirement.statement.endswith(".")
        assert requirement.source
        assert requirement.level in Level


def test_every_catalogued_requirement_says_what_a_target_must_offer_to_show_it() -> None:
    raw = yaml.safe_load(CATALOGUE_PATH.read_text(encoding="utf-8"))["requirements"]
    assert all(Need(entry["needs"]) for entry in raw), "a `needs:` on every requirement"
    catalogue = load_catalogue()
    never_reach_the_network = ("CONV-ACK-ONE-404", "CONV-ACK-ALL-404", "CONV-CLOSE-404", "CONV-GET-404")
    assert {catalogue[r].needs for r in never_reach_the_network} == {Need.NOTHING}
    assert catalogue["CONV-CLOSE-INACTIVE"].needs is Need.CREATED, "a failed send creates one"
    assert catalogue["CONV-ACK-ONE-SHARED-ID"].needs is Need.OUTGOING, "two stored sends share id 0"
    assert catalogue["CONV-RECV-UNACK"].needs is Need.INCOMING


def test_a_requirement_without_a_valid_need_is_refused(tmp_path: Path) -> None:
    data = yaml.safe_load(CATALOGUE_PATH.read_text(encoding="utf-8"))
    data["requirements"][0]["needs"] = "luck"
    broken = tmp_path / "catalogue.yaml"
    broken.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ValueError, match="needs must be one of nothing, created, outgoing, incoming"):
        load_catalogue(broken)


def test_needs_are_ordered_each_offering_the_ones_before() -> None:
    assert Need.CREATED.offers(Need.NOTHING) and Need.CREATED.offers(Need.CREATED)
    assert not Need.CREATED.offers(Need.OUTGOING)
    assert Need.INCOMING.offers(Need.OUTGOING)


IDS_IN_YAML = r"\b((?:API|AUTH|CONV|MSG|USER|SEARCH|DOCGAP)-[A-Z0-9-]+[A-Z0-9])\b"


def test_every_requirement_id_named_in_the_code_exists() -> None:
    catalogue = load_catalogue(sorted(DECLARED))
    named = set()
    for path in PACKAGE.rglob("*.py"):
        named |= set(
            re.findall(r"\"((?:API|AUTH|CONV|MSG|USER|SEARCH|DOCGAP)-[A-Z0-9-]*[A-Z0-9])\"", path.read_text())
        )
    for path in PACKAGE.rglob("*.yaml"):
        if path not in DECLARED:
            named |= set(re.findall(IDS_IN_YAML, path.read_text()))
    assert named, "the checks name requirements"
    assert named <= set(catalogue), f"unknown requirement ids in the code: {sorted(named - set(catalogue))}"


def test_version_windows_select_requirements() -> None:
    replayed = load_catalogue()["MSG-WAS-REPLAYED"]
    assert replayed.since == "0.23.2"
    assert not replayed.applies_to("0.22.0")
    assert replayed.applies_to("0.23.2")
    assert replayed.applies_to("0.26.0-13")
    assert replayed.applies_to(None), "an unknown version is held to every requirement"


def test_versions_compare_numerically() -> None:
    assert parse_version("0.9.1") < parse_version("0.16.35") < parse_version("v0.26.0")


def test_every_documented_read_outside_conversations_gets_a_generic_requirement() -> None:
    import json

    from conformance.data.resources import MERGED_SPEC
    from conformance.requirements.operations import operation_requirements, requirement_id

    spec = json.loads(MERGED_SPEC.read_text(encoding="utf-8"))
    derived = operation_requirements(spec)
    gets = [op for item in spec["paths"].values() for m, op in item.items() if m == "get"]
    outside = [op for op in gets if not set(op["tags"]) & claimed_tags()]
    assert len(derived) == len(outside) > 20
    assert requirement_id("application_version_get") == "API-OP-APPLICATION-VERSION-GET"
    assert {r.tag for r in derived.values()} >= {"Application", "Users"}
    assert not set(derived) & set(load_catalogue()), "derived ids never collide with the catalogue"


def test_every_docs_page_is_checked_behaviourally_by_its_api_or_for_its_shapes() -> None:
    """A page has one home: an API package that claims its tag, or the shapes-only list."""
    import json

    from conformance.data.resources import MERGED_SPEC

    spec = json.loads(MERGED_SPEC.read_text(encoding="utf-8"))
    tags = {tag for item in spec["paths"].values() for op in item.values() for tag in op.get("tags", [])}
    assert tags == claimed_tags() | set(PAGES)
    assert not claimed_tags() & set(PAGES)


def test_a_requirement_two_apis_define_is_refused(tmp_path: Path) -> None:
    assert CATALOGUE_PATH is not None
    copy = tmp_path / "requirements.yaml"
    copy.write_text(CATALOGUE_PATH.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(ValueError, match="API-NO-SERVER-ERROR is defined twice"):
        load_catalogue((CATALOGUE_PATH, copy))

"""The Searches API's catalogue loads, and its ids are exactly its requirements."""

from __future__ import annotations

from conformance.apis.searches import API
from conformance.apis.searches.ids import Search
from conformance.requirements.catalogue import Level, Need, load_catalogue


def _catalogue() -> dict:
    path = API.file(API.catalogue)
    assert path is not None
    return load_catalogue(path)


def test_the_catalogue_loads_and_equals_the_ids() -> None:
    catalogue = _catalogue()
    assert set(catalogue) == {str(r) for r in Search}
    assert {r.tag for r in catalogue.values()} == {"Searches"}
    assert all(r.operations and r.source for r in catalogue.values())


def test_the_documented_statuses_are_must_and_the_gaps_info() -> None:
    catalogue = _catalogue()
    for rid in ("SEARCH-LIST-200", "SEARCH-GET-404", "SEARCH-DELETE-204", "SEARCH-CANCEL-200"):
        assert catalogue[rid].level == Level.MUST
    assert {r.id for r in catalogue.values() if r.level == Level.INFO} == {
        str(r) for r in Search if r.startswith("DOCGAP-")
    }


def test_what_needs_no_peers_runs_on_a_target_not_logged_in() -> None:
    """List, 404s, 400s and the stored rows a 409 leaves: shown by a target offering CREATED."""
    catalogue = _catalogue()
    for rid in (
        "SEARCH-LIST-200", "SEARCH-GET-404", "SEARCH-RESPONSES-404", "SEARCH-DELETE-404",
        "SEARCH-CANCEL-404", "SEARCH-CREATE-400-BLANK", "SEARCH-CREATE-400-SINGLE-CHAR",
        "SEARCH-CREATE-400-RANGE", "SEARCH-CREATE-409-LOGGED-OUT", "SEARCH-CREATE-409-ROW",
        "SEARCH-GET-200", "SEARCH-DELETE-204", "SEARCH-DELETE-GONE",
    ):  # fmt: skip
        assert Need.CREATED.offers(catalogue[rid].needs), rid


def test_the_readings_where_docs_and_slskd_differ() -> None:
    catalogue = _catalogue()
    assert {r.id for r in catalogue["DOCGAP-SEARCH-TIMEOUT-UNIT"].readings} == {"seconds", "milliseconds"}
    cancel = catalogue["SEARCH-CANCEL-200"]
    assert {a for r in cancel.readings for a in r.answers} == {200, 304}
    hidden = catalogue["DOCGAP-SEARCH-RESPONSES-HIDDEN"]
    assert {r.id for r in hidden.readings} == {"visible", "at-completion"}

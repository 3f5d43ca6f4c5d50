"""The checker's own proof: it kills every mutant of the reference server, and it never
fails the faithful one, whatever the seed."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.apis import installed
from conformance.mutation.mutants import (
    Kill,
    Outcome,
    corpus_paths,
    load_corpus,
    run_mutant,
    run_options,
    run_suite_process,
)

pytestmark = pytest.mark.slow

FAITHFUL_SEEDS = range(20)


def test_the_corpus_holds_at_least_30_realistic_mutants() -> None:
    from conformance.reference.faults import FAULTS
    from conformance.requirements.catalogue import load_catalogue

    corpus = load_corpus()
    assert len(corpus) >= 30
    assert set(corpus) == set(FAULTS), "every fault of the reference server is in the corpus, and only those"
    catalogue = load_catalogue()
    named = {kill.requirement for kills in corpus.values() for kill in kills}
    assert named <= set(catalogue), f"unknown requirements {named - set(catalogue)}"
    pinned = [kill for kills in corpus.values() for kill in kills if kill.operation]
    assert all(kill.operation in catalogue[kill.requirement].operations for kill in pinned)


def test_the_corpus_is_every_api_s_corpus_file_and_a_fault_named_twice_is_refused(tmp_path: Path) -> None:
    """Each API keeps its mutants beside its emulation; an API without mutants declares none."""
    assert corpus_paths() == tuple(api.file(api.corpus) for api in installed() if api.corpus)
    one, other = tmp_path / "one.yaml", tmp_path / "other.yaml"
    one.write_text("mutants:\n  lost-ack: [CONV-ACK-ONE-EFFECT]\n", encoding="utf-8")
    other.write_text("mutants:\n  lost-ack: [CONV-ACK-ALL-EFFECT]\n", encoding="utf-8")
    assert load_corpus((one,)) == {"lost-ack": (Kill("CONV-ACK-ONE-EFFECT"),)}
    with pytest.raises(ValueError, match="lost-ack"):
        load_corpus((one, other))


def test_a_mutant_may_name_the_options_its_run_needs(tmp_path: Path) -> None:
    """A fault only a target not logged in shows is run on one (`run:` beside its kills)."""
    written = tmp_path / "corpus.yaml"
    written.write_text(
        "mutants:\n  logged-out-200:\n    kills: [SEARCH-CREATE-409-LOGGED-OUT]\n"
        "    run: [--reference-not-logged-in]\n",
        encoding="utf-8",
    )
    assert load_corpus((written,)) == {"logged-out-200": (Kill("SEARCH-CREATE-409-LOGGED-OUT"),)}
    if "search-logged-out-200" in load_corpus():
        assert run_options("search-logged-out-200") == ("--reference-not-logged-in",)
    assert run_options("get-unknown-200") == ()


def test_a_kill_pinned_on_a_route_needs_the_failures_on_that_route_alone() -> None:
    kill = Kill.parse("AUTH-MISSING-401 on GET /conversations")
    assert (kill.requirement, kill.operation, str(kill)) == (
        "AUTH-MISSING-401",
        "GET /conversations",
        "AUTH-MISSING-401 on GET /conversations",
    )
    failing = frozenset({"AUTH-MISSING-401"})

    def outcome(*operations: str) -> Outcome:
        return Outcome(
            "f", 1, failing, failing, (kill,), failing_on={"AUTH-MISSING-401": frozenset(operations)}
        )

    assert outcome("GET /conversations").killed
    assert outcome("GET /conversations", "GET /conversations/{username}").unmet() == (kill,)
    assert not Outcome("f", 1, frozenset(), frozenset(), (kill,)).killed


@pytest.mark.parametrize("fault", sorted(load_corpus()))
def test_the_suite_kills_the_mutant(fault: str) -> None:
    outcome = run_mutant(fault)
    assert outcome.exit_code == 1, f"the run against {fault} passed"
    assert not outcome.unmet(), (
        f"{fault}: unmet {[str(kill) for kill in outcome.unmet()]}; failing {dict(outcome.failing_on)}"
    )


@pytest.mark.parametrize("seed", FAITHFUL_SEEDS)
def test_the_faithful_server_passes_with_every_seed(seed: int) -> None:
    outcome = run_suite_process([], max_examples=10, seed=seed)
    assert outcome.exit_code == 0, f"seed {seed}: defects {sorted(outcome.defects)}"
    assert not outcome.defects

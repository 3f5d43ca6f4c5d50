"""The checker's own proof: it kills every mutant of the reference server, and it never
fails the faithful one, whatever the seed."""

from __future__ import annotations

import pytest

from conformance.mutation.mutants import load_corpus, run_mutant, run_suite_process

pytestmark = pytest.mark.slow

FAITHFUL_SEEDS = range(20)


def test_the_corpus_holds_at_least_30_realistic_mutants() -> None:
    from conformance.reference.faults import FAULTS
    from conformance.requirements.catalogue import load_catalogue

    corpus = load_corpus()
    assert len(corpus) >= 30
    assert set(corpus) == set(FAULTS), "every fault of the reference server is in the corpus, and only those"
    named = {requirement for kills in corpus.values() for requirement in kills}
    assert named <= set(load_catalogue()), f"unknown requirements {named - set(load_catalogue())}"


@pytest.mark.parametrize("fault", sorted(load_corpus()))
def test_the_suite_kills_the_mutant(fault: str) -> None:
    outcome = run_mutant(fault)
    assert outcome.exit_code == 1, f"the run against {fault} passed"
    assert set(outcome.expected) <= outcome.failing, (
        f"{fault}: expected {outcome.expected} among the failures, got {sorted(outcome.failing)}"
    )


@pytest.mark.parametrize("seed", FAITHFUL_SEEDS)
def test_the_faithful_server_passes_with_every_seed(seed: int) -> None:
    outcome = run_suite_process([], max_examples=10, seed=seed)
    assert outcome.exit_code == 0, f"seed {seed}: defects {sorted(outcome.defects)}"
    assert not outcome.defects

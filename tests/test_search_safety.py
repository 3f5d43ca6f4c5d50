"""A search reaches every user of the network it is sent on: the guard lets POST /searches out
only where no real person can be reached (the embedded server, a target proven on the simulated
network) or with `--allow-searches`, whatever the profile."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from conformance.apis.searches.ledger import SearchLedger
from conformance.errors import WriteBlocked
from conformance.reference.options import ReferenceOptions
from conformance.reference.server import ReferenceHandler, ReferenceServer
from conformance.results.exchange import Exchange
from conformance.transport.policy import PeerWrite, Profile, WritePolicy
from tests.cli import conformance_run
from tests.servers import reference

SEARCHES = PeerWrite("searches", ("POST",), consent="searches")


def policy(profile: Profile, consented: tuple[str, ...] = ()) -> WritePolicy:
    return WritePolicy.for_target(profile, (), "http://127.0.0.1:5030", (), (SEARCHES,), consented)


@pytest.mark.parametrize("profile", list(Profile))
def test_no_profile_lets_a_search_out_without_consent(profile: Profile) -> None:
    with pytest.raises(WriteBlocked, match=r"reaches real Soulseek users.*--allow-searches"):
        policy(profile).check("POST", "http://127.0.0.1:5030/api/v0/Searches")


def test_consent_lets_the_search_out_and_only_the_search() -> None:
    full = policy(Profile.FULL, ("searches",))
    full.check("POST", "http://127.0.0.1:5030/api/v0/searches")
    policy(Profile.FULL).check("PUT", "http://127.0.0.1:5030/api/v0/searches/some-id")  # not peer-facing
    policy(Profile.FULL).check("GET", "http://127.0.0.1:5030/api/v0/searches")
    with pytest.raises(WriteBlocked):  # a path the guard cannot read counts as peer-facing
        policy(Profile.FULL).check("POST", "http://127.0.0.1:5030/api/v0/a/../searches")


def live_run(tmp_path: Path, *consent: str) -> tuple[int, list[dict[str, object]], dict[str, object]]:
    """A full-profile run against a reference server as a live target: what reached its network."""
    with reference.live_run(tmp_path, "search", *consent) as (server, run, results):
        searched = server.network_view().searches()
        left = requests.get(f"{server.url}/api/v0/searches", timeout=10).json()
    return run.returncode, searched, {**results, "left": left}


@pytest.mark.slow
def test_a_live_run_without_consent_sends_no_search(tmp_path: Path) -> None:
    code, searched, results = live_run(tmp_path)
    assert searched == []
    assert code in (0, 1), "a refused search is not a write blocked mid-run: nothing asks for one"
    reasons = {row["id"]: row["reason"] for row in results["requirements"] if row["status"] == "skipped"}
    assert "SEARCH-CREATE-OK" in reasons and "searches" in str(reasons["SEARCH-CREATE-OK"])


@pytest.mark.slow
def test_a_live_run_with_consent_searches(tmp_path: Path) -> None:
    _, searched, results = live_run(tmp_path, "--allow-searches")
    assert searched, "--allow-searches let no search out"
    assert results["left"] == [], "cleanup deletes every search the run created"


def test_the_ledger_deletes_what_the_run_created_and_not_what_it_deleted() -> None:
    ledger = SearchLedger()
    url = "http://127.0.0.1:5030/api/v0/searches"
    ledger.on_exchange(Exchange("POST", url, status=200, response_body='{"id": "A-1"}'))
    ledger.on_exchange(Exchange("POST", url, status=200, response_body='{"id": "b-2"}'))
    ledger.on_exchange(Exchange("POST", url, status=409, request_body='{"id": "c-3", "searchText": "x"}'))
    ledger.on_exchange(Exchange("POST", url, status=400, request_body='{"id": "d-4"}'))  # no row
    ledger.on_exchange(Exchange("DELETE", f"{url}/b-2", status=204))
    assert ledger.created == {"a-1", "c-3"}


@pytest.fixture
def heard(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Every request line a reference server of this process receives (read at the HTTP layer,
    not from the run's reports: a POST the run did not record shows too)."""
    received: list[tuple[str, str]] = []
    serve = ReferenceHandler._serve

    def logged(self: ReferenceHandler) -> None:
        received.append((self.command, self.path.split("?", 1)[0]))
        serve(self)

    for verb in ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"):
        monkeypatch.setattr(ReferenceHandler, f"do_{verb}", logged)
    return received


@pytest.mark.slow
@pytest.mark.parametrize(
    "options",
    [
        ("--profile=read-only",),
        ("--profile=safe-writes", "--peer=echo-peer"),
        ("--profile=safe-writes", "--peer=echo-peer", "--allow-searches"),  # no safe-writes shape searches
    ],
    ids=["read-only", "safe-writes", "safe-writes-consenting"],
)
def test_no_post_searches_reaches_the_target_from_a_read_only_or_safe_writes_run(
    heard: list[tuple[str, str]], tmp_path: Path, options: tuple[str, ...]
) -> None:
    with ReferenceServer(ReferenceOptions()) as server:
        run = conformance_run(
            tmp_path, f"--target-url={server.url}", "--rate=none", *options, "-k", "search", "-n", "0", "-q"
        )
        searched = server.network_view().searches()
    assert run.returncode in (0, 1) and "Traceback" not in run.stdout + run.stderr, run.stdout[-2000:]
    assert any(method == "GET" for method, _ in heard), "the run reached the target"
    assert [path for method, path in heard if method == "POST" and path.lower().endswith("/searches")] == []
    assert searched == [], "no FileSearch went out on the network"

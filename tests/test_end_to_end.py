"""The product as a user meets it: `conformance run`, its exit codes, reports and safety."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from conformance.mutation.forks import conformance_process
from conformance.reference.server import ReferenceOptions, ReferenceServer
from conformance.reporting.schema import validate_results
from tests.leaks import assert_no_secret

pytestmark = pytest.mark.slow

KEY = "e2e-secret-api-key-0123456789abcdef"
SLSKD_SEARCH_GAPS = {  # where slskd's searches part from their docs (peers-and-apis.md §4)
    "DOCGAP-SEARCH-CANCEL-IDLE",
    "DOCGAP-SEARCH-RESPONSES-HIDDEN",
    "DOCGAP-SEARCH-TIMEOUT-UNIT",
}
# … and where the documented behaviour parts from them too: its emulation answers POST at once
# with the search running and PUT of an unknown id 404, as slskd does (README, Searches)
SEARCH_GAPS_OF_EVERY_BEHAVIOUR = {"DOCGAP-SEARCH-POST-RUNNING", "DOCGAP-SEARCH-CANCEL-404"}
SLSKD_TRANSFER_GAPS = {  # where slskd's transfers part from their docs (peers-and-apis.md §3.2)
    "DOCGAP-TRANSFER-BAD-GUID-400",
    "DOCGAP-TRANSFER-DELETE-UNKNOWN-204",
    "DOCGAP-TRANSFER-GET-ID-IGNORES-USER",
    "DOCGAP-TRANSFER-POSITION-INT",
    "DOCGAP-TRANSFER-REMOVE-RUNNING",
    "DOCGAP-TRANSFER-USER-404-NO-DOWNLOADS",
}
# … and what the docs leave out whatever a server does: 400 and 429 unlisted, a failure 500 where
# they promise 403, no TransferStates values, the Transfer's fields named otherwise (README)
TRANSFER_GAPS_OF_EVERY_BEHAVIOUR = {
    "DOCGAP-TRANSFER-ENQUEUE-500",
    "DOCGAP-TRANSFER-ENQUEUE-STATUSES",
    "DOCGAP-TRANSFER-STATES",
    "DOCGAP-TRANSFER-FIELDS",
}
SLSKD_USER_GAPS = {  # where slskd's Users part from their docs (peers-and-apis.md §3.3): the models
    "DOCGAP-USER-BROWSE-OBJECT",
    "DOCGAP-USER-DIRECTORY-LIST",
    "DOCGAP-USER-BROWSE-STATUS-OBJECT",
}
# … and what the docs leave out whatever a server does: the 400 of an empty directory, the 500s
USER_GAPS_OF_EVERY_BEHAVIOUR = {"DOCGAP-USER-STATUSES"}
SLSKD_ROOM_GAPS = {  # where slskd's rooms part from their docs (peers-and-apis.md §3.4)
    "DOCGAP-ROOM-JOIN-200",
    "DOCGAP-ROOM-JOINED-NAMES",
    "DOCGAP-ROOM-JOIN-REFUSED-500",
}
SLSKD_QUIRKS = {
    "CONV-ACK-ONE-404",
    "CONV-ACK-ALL-404",
    "CONV-CLOSE-404",
    "CONV-ACK-ONE-SHARED-ID",
    "API-NO-SERVER-ERROR",
    "DOCGAP-LENIENT-BINDING",
    "DOCGAP-SEND-BLACKLISTED-200",
    *SLSKD_SEARCH_GAPS,
    *SLSKD_TRANSFER_GAPS,
    *SLSKD_USER_GAPS,
    *SLSKD_ROOM_GAPS,
}
LIVE_FULL = ["--profile", "full", "--i-understand-this-messages-real-users", "--rate", "none"]


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    reports: Path

    @property
    def results(self) -> dict:
        return json.loads((self.reports / "latest" / "results.json").read_text(encoding="utf-8"))

    @property
    def failing(self) -> set[str]:
        return {r["id"] for r in self.results["requirements"] if r["status"] == "fail"}


def conformance_run(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> Run:
    reports = tmp_path / "reports"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "conformance.cli",
            "run",
            f"--reports-dir={reports}",
            "--max-examples=10",
            *args,
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
        timeout=300,
    )
    return Run(completed.returncode, completed.stdout, completed.stderr, reports)


def forked_run(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> Run:
    """`conformance run --max-examples=10 ARGS…` (`env` added) forked from the fork server the mutant runs
    use (a fresh process entering `conformance.cli.main`, without a second of imports): for
    runs judged by their verdict, where how a shell starts the process is not what is tested."""
    reports, stdout, stderr = tmp_path / "reports", tmp_path / "stdout", tmp_path / "stderr"
    argv = ["run", f"--reports-dir={reports}", "--max-examples=10", *args]
    code = conformance_process(argv, stdout, stderr, env)
    return Run(code, stdout.read_text(encoding="utf-8"), stderr.read_text(encoding="utf-8"), reports)


@pytest.fixture(scope="module")
def default_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """`conformance run` with nothing but the test defaults, made once: the specifications that
    read what it wrote (none changes it) sit side by side, so that one worker makes it for all."""
    return conformance_run(tmp_path_factory.mktemp("default"))


@pytest.fixture
def live() -> Iterator[ReferenceServer]:
    """A stand-in for a user's own slskd, with an API key, reachable by URL."""
    with ReferenceServer(ReferenceOptions(api_key=KEY)) as server:
        yield server


def conversations(server: ReferenceServer) -> list[dict]:
    response = requests.get(
        f"{server.base_url}/conversations", params={"includeInactive": "true"}, headers={"X-API-Key": KEY}
    )
    return response.json()


def test_the_default_run_is_conformant_and_writes_every_report(default_run: Run) -> None:
    run = default_run
    assert run.code == 0, run.stdout[-3000:]
    latest = run.reports / "latest"
    assert {"results.json", "junit.xml", "index.html"} <= {p.name for p in latest.iterdir()}
    validate_results(run.results)
    assert run.results["summary"]["verdict"] == "conformant"
    assert run.results["summary"]["covered"] >= 40
    assert "requirements covered" in run.stdout
    assert "Traceback" not in run.stdout + run.stderr


def test_unimplemented_routes_of_the_whole_api_are_not_covered_not_crashes(default_run: Run) -> None:
    run = default_run
    rows = {r["id"]: r for r in run.results["requirements"]}
    assert rows["API-OP-APPLICATION-VERSION-GET"]["status"] == "pass", "the reference serves its version"
    shares = rows["API-OP-SHARES-GET"]
    assert shares["status"] == "not-covered"
    assert "does not implement" in shares["reason"]
    share = rows["API-OP-SHARES-ID-GET"]  # no such route in the reference; 404 documented
    assert (share["status"], share["checks"]) == ("not-covered", 0), "a documented 404 is not a pass"
    assert "every request answered 404" in share["reason"]
    assert "every request answered 404" in run.stdout, "the terminal says why too"
    behavioural = {"Conversations", "Searches", "Transfers", "Users", "Rooms"}
    assert {r["tag"] for r in run.results["requirements"]} >= behavioural


@pytest.fixture(scope="module")
def slskd_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """`conformance run --server-behaviour=slskd`, made once for the specifications that read it."""
    # which requirements fail is known before shrinking, and no specification reads a shrunk sequence
    return conformance_run(tmp_path_factory.mktemp("slskd"), "--server-behaviour=slskd", "--no-shrink")


def test_the_slskd_behaviour_shows_exactly_the_known_quirks(slskd_run: Run, default_run: Run) -> None:
    documented, quirky = default_run, slskd_run
    assert documented.code == 0
    assert quirky.code == 1
    # DOCGAP-READING (closing a closed conversation answers 204) is taken by either server
    # whenever the exploration closes a conversation twice: not a quirk of one behaviour.
    assert quirky.failing - documented.failing - {"DOCGAP-READING"} == SLSKD_QUIRKS


def test_a_distinct_failure_of_a_requirement_is_kept_beside_the_repeats_of_another(slskd_run: Run) -> None:
    """API-NO-SERVER-ERROR fails on many `PUT …/0` (an id shared by several messages) and on
    one POST to a whitespace username: the POST must survive the repeats, in every report."""
    row = next(r for r in slskd_run.results["requirements"] if r["id"] == "API-NO-SERVER-ERROR")
    kinds = {(item["operation"], item["status"]) for item in row["evidence"]}
    assert {("POST /conversations/{username}", 500), ("PUT /conversations/{username}/{id}", 500)} <= kinds
    assert sum(item["repeats"] for item in row["evidence"]) + len(row["evidence"]) == row["failures"]
    latest = slskd_run.reports / "latest"
    html = (latest / "index.html").read_text(encoding="utf-8")
    junit = (latest / "junit.xml").read_text(encoding="utf-8")
    for report in (html, junit):
        assert "POST /conversations/{username} → 500" in report
        assert "PUT /conversations/{username}/{id} → 500" in report
    assert "repeats of the same kind folded" in slskd_run.stdout


def test_compare_lists_exactly_what_a_mutant_breaks(tmp_path: Path, default_run: Run) -> None:
    faithful = default_run
    # which requirements fail is known before shrinking, and shrinking is not compared
    mutant = conformance_run(tmp_path / "mutant", "--reference-fault=list-unsorted", "--no-shrink")
    completed = subprocess.run(
        [
            sys.executable, "-m", "conformance.cli", "compare",
            str(faithful.reports / "latest" / "results.json"),
            str(mutant.reports / "latest" / "results.json"),
            "-o", str(tmp_path / "compare"),
        ],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert completed.returncode == 1, "a regression gates the release"
    assert mutant.failing - faithful.failing == {"CONV-LIST-ORDER"}
    assert "CONV-LIST-ORDER" in completed.stdout
    assert (tmp_path / "compare" / "compare.html").exists()


def test_no_secret_reaches_any_artifact_or_output(tmp_path: Path, live: ReferenceServer) -> None:
    run = conformance_run(tmp_path, f"--target-url={live.url}", *LIVE_FULL, env={"SLSKD_API_KEY": KEY})
    assert run.code == 0, run.stdout[-3000:]
    assert_no_secret(run.reports, KEY)
    assert KEY not in run.stdout + run.stderr


def test_a_read_only_run_writes_nothing(tmp_path: Path, live: ReferenceServer) -> None:
    run = conformance_run(tmp_path, f"--target-url={live.url}", "--rate=none", env={"SLSKD_API_KEY": KEY})
    assert run.code == 0, run.stdout[-3000:]
    assert conversations(live) == [], "a read-only run created conversations"
    statuses = {r["status"] for r in run.results["requirements"] if r["id"] == "CONV-SEND-201"}
    assert statuses == {"skipped"}


def test_safe_writes_reach_only_the_allowlist_and_are_cleaned_up(
    tmp_path: Path, live: ReferenceServer
) -> None:
    run = conformance_run(
        tmp_path,
        f"--target-url={live.url}",
        "--profile=safe-writes",
        "--peer=alice",
        "--echo-peer=echo-peer",
        "--rate=none",
        env={"SLSKD_API_KEY": KEY},
    )
    assert run.code == 0, run.stdout[-3000:]
    touched = conversations(live)
    assert {c["username"] for c in touched} <= {"alice", "echo-peer"}
    assert touched, "the safe-writes run wrote to its peers"
    assert not any(c["isActive"] for c in touched), "the conversations the run opened are closed again"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--rate=fast"], 2, "--rate must look like 5/s or 300/m"),
        (["--target-url=http://127.0.0.1:9"], 3, "127.0.0.1:9"),
        (["--profile=everything"], 2, "--profile must be one of"),
    ],
)
def test_bad_input_is_one_line_and_a_documented_exit_code(
    tmp_path: Path, args: list[str], code: int, message: str
) -> None:
    run = conformance_run(tmp_path, *args)
    assert run.code == code
    assert message in run.stderr
    assert "Traceback" not in run.stdout + run.stderr


def test_a_wrong_key_is_an_authentication_failure_not_pages_of_failures(
    tmp_path: Path, live: ReferenceServer
) -> None:
    run = conformance_run(tmp_path, f"--target-url={live.url}", env={"SLSKD_API_KEY": "not-the-key"})
    assert run.code == 3
    assert "authentication failed" in run.stderr
    assert "not-the-key" not in run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr


def test_the_server_version_selects_the_requirements_that_apply(tmp_path: Path) -> None:
    run = conformance_run(tmp_path, "--server-version=0.22.0")
    assert run.code == 0, run.stdout[-3000:]
    results = run.results
    assert (results["run"]["server_version"], results["run"]["version_source"]) == (
        "0.22.0",
        "--server-version",
    )
    rows = {r["id"]: r for r in results["requirements"]}
    for requirement in ("MSG-WAS-REPLAYED", "USER-ROUNDTRIP", "DOCGAP-SEND-BLACKLISTED-200"):
        assert rows[requirement]["status"] == "skipped"
        assert "0.22.0" in rows[requirement]["reason"]
    assert rows["API-EMPTY-ERROR-BODY"]["status"] == "pass", "since 0.22.0: applies"


NEVER_404 = {"CONV-ACK-ONE-404", "CONV-ACK-ALL-404", "CONV-CLOSE-404"}  # no login needed to see them


def not_logged_in_run(tmp_path: Path, behaviour: str) -> Run:
    """The CI gate's situation: a live slskd with no Soulseek account, a run allowed to write."""
    options = ReferenceOptions(behaviour=behaviour, api_key=KEY, logged_in=False)
    with ReferenceServer(options) as offline:
        return conformance_run(
            tmp_path,
            f"--target-url={offline.url}",
            *LIVE_FULL,
            "--no-shrink",  # which requirements fail is known before shrinking
            env={"SLSKD_API_KEY": KEY},
        )


def test_a_target_not_logged_in_still_shows_slskds_never_404s_and_nothing_else(tmp_path: Path) -> None:
    run = not_logged_in_run(tmp_path, "slskd")
    assert run.code == 1, run.stdout[-3000:]
    defects = {r["id"] for r in run.results["requirements"] if r["status"] == "fail" and r["level"] != "INFO"}
    assert defects == NEVER_404, "what needs no login is found; nothing the logged-in run would not report"
    assert defects <= SLSKD_QUIRKS
    rows = {r["id"]: r for r in run.results["requirements"]}
    assert rows["CONV-ACK-ONE-SHARED-ID"]["status"] == "skipped", "two stored sends share id 0: needs a login"
    assert rows["CONV-ACK-ONE-SHARED-ID"]["reason"].startswith("needs a logged-in target")
    assert rows["CONV-RECV-UNACK"]["reason"].startswith("needs incoming messages from a peer")
    for shown in ("CONV-CLOSE-INACTIVE", "CONV-CLOSED-READABLE", "USER-CASE-SENSITIVE", "USER-ROUNDTRIP"):
        assert rows[shown]["status"] == "pass", f"{shown}: a failed send opens the conversation it needs"


def test_a_documented_target_not_logged_in_has_no_defect_and_says_what_it_could_not_show(
    tmp_path: Path,
) -> None:
    run = not_logged_in_run(tmp_path, "documented")
    assert run.code == 0, run.stdout[-3000:]
    assert run.results["summary"]["defects"] == 0
    assert any("not logged in" in note for note in run.results["run"]["notes"])
    rows = {r["id"]: r for r in run.results["requirements"]}
    assert rows["CONV-SEND-201"]["status"] == "skipped"
    assert "not logged in" in rows["CONV-SEND-201"]["reason"]
    assert rows["API-NO-SERVER-ERROR"]["status"] == "pass", "a send's 500 there is by design, not a defect"
    assert {rows[r]["status"] for r in NEVER_404} == {"pass"}

"""A browse, a user info, a folder's contents, a status and an endpoint reach a real person's
client or ask the server about them: the guard lets `/users/…` out only where no real person can
be reached (the embedded server, a target proven on the simulated network) or with
`--allow-users`, whatever the profile and whatever the method, GET included; a browse's
progress stays in slskd and goes out as any read does. Other APIs' reads are unchanged."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import hypothesis
import pytest
from hypothesis import strategies as st

from conformance.apis.users import API as USERS
from conformance.errors import WriteBlocked
from conformance.transport.policy import Profile, WritePolicy
from tests.cli import conformance_run
from tests.servers.fake_slskd import FakeSlskd
from tests.servers.local import LocalServer

TARGET = "http://127.0.0.1:5030/api/v0"
ASKING = [
    ("GET", "users/alice/browse"),
    ("GET", "users/alice/info"),
    ("GET", "users/alice/status"),
    ("GET", "users/alice/endpoint"),
    ("HEAD", "users/alice/info"),
    ("POST", "users/alice/directory"),
    ("GET", "Users/alice/Browse"),  # slskd routes literals case-insensitively
    ("GET", "users/al%69ce/info"),
]


def policy(profile: Profile, consented: tuple[str, ...] = ()) -> WritePolicy:
    return WritePolicy.for_target(profile, (), "http://127.0.0.1:5030", (), USERS.peer_writes, consented)


@pytest.mark.parametrize("profile", list(Profile))
@pytest.mark.parametrize(("method", "path"), ASKING)
def test_no_profile_asks_about_a_user_without_consent(profile: Profile, method: str, path: str) -> None:
    with pytest.raises(WriteBlocked, match=r"reaches real Soulseek users.*--allow-users"):
        policy(profile).check(method, f"{TARGET}/{path}")


@pytest.mark.parametrize(("method", "path"), ASKING)
def test_consent_lets_them_out(method: str, path: str) -> None:
    policy(Profile.FULL, ("users",)).check(method, f"{TARGET}/{path}")


@pytest.mark.parametrize("path", ["users/alice/browse/status", "users/alice/BROWSE/Status"])
def test_a_browse_s_progress_is_a_read_of_slskd_s_memory(path: str) -> None:
    policy(Profile.READ_ONLY).check("GET", f"{TARGET}/{path}")


@pytest.mark.parametrize(
    "path",
    ["users//browse", "users/alice/./info", "x/../users/alice/browse", "users/alice/info/", "%75sers/a/info"],
)
def test_a_read_of_users_the_guard_cannot_read_is_blocked(path: str) -> None:
    with pytest.raises(WriteBlocked):
        policy(Profile.FULL).check("GET", f"{TARGET}/{path}")


@pytest.mark.parametrize(
    "path",
    [
        "conversations",
        "searches/x",
        "transfers/downloads/",
        "application",
        "conversations//x",
        "rooms/joined",
    ],
)
def test_other_reads_go_out_as_before(path: str) -> None:
    policy(Profile.READ_ONLY).check("GET", f"{TARGET}/{path}")


@pytest.mark.slow
@pytest.mark.parametrize("consent", [(), ("--allow-users",)])
def test_a_live_run_asks_about_users_only_with_consent(tmp_path: Path, consent: tuple[str, ...]) -> None:
    """Without consent no `/users/…` request but a browse's progress leaves; with it the
    checks that need no oracle of the network (unknown users, refused directories) go out."""
    with LocalServer(FakeSlskd(api_key=None).handler) as target:
        conformance_run(
            tmp_path,
            f"--target-url={target.url}",
            "--profile=full",
            "--i-understand-this-messages-real-users",
            "--rate=none",
            *consent,
            "-k",
            "user_probes or user_drawn",
            "-n",
            "0",
            "-q",
        )
    asked = {r.path for r in target.received if "/users/" in r.path and not r.path.endswith("/browse/status")}
    assert bool(asked) is bool(consent), asked
    results = json.loads((tmp_path / "latest" / "results.json").read_text(encoding="utf-8"))
    reasons = {row["id"]: row.get("reason", "") for row in results["requirements"]}
    if not consent:
        assert "--allow-users" in reasons["USER-BROWSE-200"]


@hypothesis.given(
    username=st.text(min_size=1, max_size=12),
    tail=st.sampled_from(["browse", "info", "status", "endpoint", "browse/status", "directory"]),
    method=st.sampled_from(["GET", "HEAD", "POST"]),
)
def test_whatever_the_username_only_a_browse_s_progress_goes_out_unconsented(
    username: str, tail: str, method: str
) -> None:
    """Any username, percent-encoded as a client sends it: every method on a users route is held
    back without consent, but on a browse's progress (left to the profile: full here)."""
    url = f"{TARGET}/users/{quote(username, safe='')}/{tail}"
    if tail == "browse/status" and username not in (".", ".."):
        policy(Profile.FULL).check(method, url)
    else:
        with pytest.raises(WriteBlocked):
            policy(Profile.FULL).check(method, url)

"""Run options: safe defaults for a live slskd, and one clear line (exit 2) for anything wrong.

Options are parsed by a real pytest (pytester) with `add_options` registered, then read
by `run_config`, exactly as the plugin does.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from conformance.cli.config import RunConfig
from conformance.cli.options import run_config
from conformance.errors import ConfigError, ExitCode
from conformance.transport.pacing import Rate
from conformance.transport.policy import Profile

pytest_plugins = ["pytester"]

LIVE = ("--target-url", "http://localhost:5030")
Parse = Callable[..., RunConfig]


@pytest.fixture
def parse(pytester: pytest.Pytester) -> Parse:
    """parse(*args, env={...}) → RunConfig; a spec file is supplied unless the test gives --spec."""
    pytester.makeconftest(
        """
        from conformance.cli.options import add_options

        def pytest_addoption(parser):
            add_options(parser)
        """
    )
    spec = pytester.path / "spec.json"
    spec.write_text('{"openapi": "3.0.3", "paths": {}}', encoding="utf-8")

    def parse_args(*args: str, env: dict[str, str] | None = None) -> RunConfig:
        if "--spec" not in args:
            args = (*args, "--spec", str(spec))
        return run_config(pytester.parseconfig(*args), environ=env or {})

    return parse_args


def refusal(parse: Parse, *args: str, env: dict[str, str] | None = None) -> str:
    """The ConfigError message for these options; asserts it is one line with exit code 2."""
    with pytest.raises(ConfigError) as raised:
        parse(*args, env=env)
    message = str(raised.value)
    assert "\n" not in message
    assert raised.value.exit_code is ExitCode.USAGE
    return message


# --- defaults ------------------------------------------------------------------------------


def test_the_embedded_server_runs_everything_unpaced(parse: Parse) -> None:
    config = parse()
    assert config.target_url is None
    assert config.profile is Profile.FULL
    assert (config.rate, config.max_requests) == (None, None)
    assert (config.timeout, config.max_examples, config.seed) == (10.0, 25, 0)
    assert config.server_behaviour == "documented"
    assert config.reports_dir == Path("reports")
    assert config.auth_kind == "none"
    assert config.verify is True


def test_a_live_target_is_read_only_paced_and_budgeted_by_default(parse: Parse) -> None:
    config = parse(*LIVE)
    assert config.profile is Profile.READ_ONLY
    assert config.rate == Rate(5, 1.0)
    assert config.max_requests == 5000
    assert config.server_behaviour is None


# --- target URL ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "normalised"),
    [
        ("http://localhost:5030", "http://localhost:5030"),
        ("http://LocalHost:5030/", "http://localhost:5030"),
        ("http://localhost:5030/api/v0", "http://localhost:5030"),
        ("https://nas.lan:5031/API/v0/", "https://nas.lan:5031"),
        ("https://example.org/slskd/api/v0", "https://example.org/slskd"),
        ("  http://[::1]:5030  ", "http://[::1]:5030"),
    ],
)
def test_the_target_url_is_normalised_to_the_root_with_or_without_api_v0(
    parse, given: str, normalised: str
) -> None:
    assert parse("--target-url", given).target_url == normalised


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("localhost:5030", "--target-url must be an http:// or https:// URL"),
        ("ftp://localhost:5030", "--target-url must be an http:// or https:// URL"),
        ("http://", "--target-url must be an http:// or https:// URL"),
        ("http://localhost:99999", "--target-url has an invalid port"),
        ("http://localhost:5030/?apiKey=s3cr3t", "--target-url must not have a query or fragment"),
    ],
)
def test_a_target_url_that_is_not_a_web_address_is_refused(parse: Parse, given: str, expected: str) -> None:
    message = refusal(parse, "--target-url", given)
    assert message.startswith(expected)
    assert "s3cr3t" not in message


def test_credentials_in_the_target_url_are_refused_without_repeating_them(parse: Parse) -> None:
    message = refusal(parse, "--target-url", "http://admin:hunter2-secret@localhost:5030")
    assert "hunter2-secret" not in message
    assert "--username/--password" in message


# --- profiles and allowlists -----------------------------------------------------------------


def test_safe_writes_needs_someone_to_write_to(parse: Parse) -> None:
    assert "--peer" in refusal(parse, *LIVE, "--profile", "safe-writes")


def test_safe_writes_may_write_to_every_named_peer(parse: Parse) -> None:
    peers = ("--peer", "me-alt", "--echo-peer", "echo", "--blacklisted-peer", "nope")
    config = parse(*LIVE, "--profile", "safe-writes", *peers)
    assert config.profile is Profile.SAFE_WRITES
    assert config.writable_usernames == ("me-alt", "echo", "nope")


def test_full_against_a_live_target_needs_an_explicit_acknowledgement(parse: Parse) -> None:
    assert "--i-understand-this-messages-real-users" in refusal(parse, *LIVE, "--profile", "full")
    acknowledged = parse(*LIVE, "--profile", "full", "--i-understand-this-messages-real-users")
    assert acknowledged.profile is Profile.FULL


def test_peers_given_to_a_read_only_run_are_accepted_with_a_note(parse: Parse) -> None:
    config = parse(*LIVE, "--peer", "me-alt")
    assert config.profile is Profile.READ_ONLY
    assert any("read-only profile sends no writes" in note for note in config.notes)


@pytest.mark.parametrize(
    "option",
    [("--reference-fault", "never-404"), ("--server-behaviour", "slskd"), ("--reference-not-logged-in",)],
    ids=lambda o: o[0],
)
def test_embedded_server_options_are_refused_with_a_live_target(
    parse: Parse, option: tuple[str, ...]
) -> None:
    assert "embedded server only" in refusal(parse, *LIVE, *option)


def test_the_embedded_server_takes_a_behaviour_and_faults(parse: Parse) -> None:
    config = parse(
        "--server-behaviour", "slskd", "--reference-fault", "window-101", "--reference-fault", "list-unsorted"
    )
    assert config.server_behaviour == "slskd"
    assert config.reference_faults == ("window-101", "list-unsorted")
    assert config.reference_logged_in, "logged in unless told otherwise"
    assert not parse("--reference-not-logged-in").reference_logged_in
    assert refusal(parse, "--reference-fault", "nope").startswith("--reference-fault: unknown fault nope")
    assert refusal(parse, "--server-behaviour", "x").startswith(
        "--server-behaviour must be one of documented, slskd"
    )


# --- numbers ---------------------------------------------------------------------------------


def test_a_rate_is_a_count_per_second_minute_or_hour(parse: Parse) -> None:
    assert parse(*LIVE, "--rate", "300/m").rate == Rate(300, 60.0)
    assert parse("--rate", "0.5/s").rate == Rate(0.5, 1.0)
    assert refusal(parse, "--rate", "fast") == (
        "--rate must look like 5/s or 300/m, and be at least 1/h (got 'fast')"
    )
    assert refusal(parse, "--rate", "0/s").startswith("--rate must look like")
    assert parse(*LIVE, "--rate", "1/h").rate == Rate(1, 3600.0)
    assert parse(*LIVE, "--rate", "none").rate is None  # unpaced, even live


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--max-requests", "0"),
        ("--max-requests", "-5"),
        ("--max-requests", "lots"),
        ("--timeout", "0"),
        ("--timeout", "-1"),
        ("--timeout", "nan"),
        ("--timeout", "inf"),
        ("--max-examples", "0"),
        ("--seed", "-1"),
        ("--seed", "1.5"),
        ("--timeout", "1e308"),  # finite, but overflows a socket timeout
        ("--max-response-bytes", "100"),
        ("--max-response-bytes", "1e3"),
        ("--max-response-bytes", str(1 << 40)),
    ],
)
def test_numbers_out_of_range_are_refused(parse: Parse, option: str, value: str) -> None:
    assert refusal(parse, option, value).startswith(f"{option} must be a number")


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ("# README\n", "cannot read an OpenAPI JSON document (not JSON)"),
        ('{"paths": {}}', "not an OpenAPI document"),
        ("[1, 2]", "not an OpenAPI document"),
    ],
)
def test_a_spec_that_is_not_openapi_json_is_refused(
    parse: Parse, pytester: pytest.Pytester, content: str, said: str
) -> None:
    spec = pytester.path / "README.md"  # beside the conftest, so that pytest keeps its rootdir
    spec.write_text(content, encoding="utf-8")
    assert said in refusal(parse, "--spec", str(spec))


def test_a_reports_dir_inside_a_regular_file_is_refused_before_the_run(parse: Parse, tmp_path: Path) -> None:
    regular = tmp_path / "file"
    regular.write_text("x", encoding="utf-8")
    assert refusal(parse, "--reports-dir", str(regular / "reports")) == (
        f"--reports-dir {regular / 'reports'}: {regular} is a file, not a folder"
    )
    fresh = tmp_path / "new" / "reports"
    assert parse("--reports-dir", str(fresh)).reports_dir == fresh


def test_a_budget_must_leave_requests_beyond_those_kept_for_cleanup(parse: Parse) -> None:
    writes = (*LIVE, "--profile", "safe-writes", "--peer", "alice", "--peer", "bob")
    assert parse(*writes).cleanup_reserve == 2
    assert refusal(parse, *writes, "--max-requests", "2") == (
        "--max-requests 2 leaves nothing to test: 2 requests are kept for cleanup"
    )
    assert parse(*writes, "--keep", "--max-requests", "2").cleanup_reserve == 0  # nothing to clean up
    assert parse(*LIVE).cleanup_reserve == 0  # read-only writes nothing


def test_numbers_in_range_are_taken(parse: Parse) -> None:
    config = parse("--max-requests", "7", "--timeout", "0.5", "--max-examples", "3", "--seed", "42")
    assert (config.max_requests, config.timeout, config.max_examples, config.seed) == (7, 0.5, 3, 42)
    assert parse("--server-version", "0.26.0").server_version == "0.26.0"


# --- TLS and files ---------------------------------------------------------------------------


def test_tls_verification_is_on_off_or_a_bundle(parse: Parse, tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n", encoding="utf-8")
    assert parse(*LIVE, "--insecure").verify is False
    assert parse(*LIVE, "--ca-bundle", str(bundle)).verify == str(bundle)
    assert refusal(parse, *LIVE, "--ca-bundle", str(tmp_path / "missing.pem")).startswith(
        "--ca-bundle: no such file or directory"
    )
    assert refusal(parse, *LIVE, "--insecure", "--ca-bundle", str(bundle)) == (
        "choose one of --insecure and --ca-bundle"
    )


# --- credentials -----------------------------------------------------------------------------


def test_credentials_come_from_the_environment_and_are_secrets(parse: Parse) -> None:
    config = parse(*LIVE, env={"SLSKD_API_KEY": "env-key-123456", "SLSKD_READONLY_API_KEY": "ro-key-654321"})
    assert config.api_key == "env-key-123456"
    assert config.auth_kind == "api-key"
    assert config.secrets == {"env-key-123456", "ro-key-654321"}


def test_an_option_wins_over_its_environment_variable(parse: Parse) -> None:
    assert parse(*LIVE, "--api-key", "cli-key", env={"SLSKD_API_KEY": "env-key"}).api_key == "cli-key"


def test_a_username_logs_in_with_its_password(parse: Parse) -> None:
    config = parse(*LIVE, "--username", "admin", env={"SLSKD_PASSWORD": "pw-987654"})
    assert config.auth_kind == "password"
    assert config.secrets == {"pw-987654"}
    message = refusal(parse, *LIVE, "--username", "admin")
    assert message == "--username needs --password (or SLSKD_PASSWORD)"


def test_token_credentials_are_bearer_tokens(parse: Parse) -> None:
    config = parse(*LIVE, env={"SLSKD_TOKEN": "jwt-abc"})
    assert (config.auth_kind, config.secrets) == ("token", {"jwt-abc"})


def test_with_several_credentials_in_the_environment_the_key_wins_with_a_note(parse: Parse) -> None:
    env = {"SLSKD_API_KEY": "key-1234", "SLSKD_USERNAME": "admin", "SLSKD_PASSWORD": "pw-5678"}
    config = parse(*LIVE, env=env)
    assert (config.auth_kind, config.username, config.password) == ("api-key", None, None)
    assert "authenticating with SLSKD_API_KEY; SLSKD_USERNAME ignored" in config.notes


def test_a_credential_option_wins_over_credentials_in_the_environment(parse: Parse) -> None:
    config = parse(*LIVE, "--token", "jwt", env={"SLSKD_API_KEY": "key"})
    assert (config.auth_kind, config.api_key) == ("token", None)
    assert "authenticating with --token; SLSKD_API_KEY ignored" in config.notes


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (("--profile", "yolo"), {}, "--profile must be one of read-only, safe-writes, full (got 'yolo')"),
        ((*LIVE, "--api-key", "k", "--token", "j"), {}, "choose one way to authenticate: got --api-key"),
        (LIVE, {"SLSKD_PASSWORD": "pw"}, "SLSKD_PASSWORD needs --username (or SLSKD_USERNAME)"),
        (("--rate", "0.0000001/h"), {}, "--rate must look like 5/s or 300/m"),  # slower than 1/h: a typo
        (("--target-url", "http://[::1"), {}, "--target-url is not a valid URL"),
        (("--spec", "nope.json"), {}, "spec file not found"),
        (("--server-version", "latest"), {}, "--server-version must look like 0.26.0 (got 'latest')"),
    ],
    ids=["profile", "two-credentials", "password-alone", "slow-rate", "bad-url", "no-spec", "version"],
)
def test_a_mistake_is_refused_in_one_line_that_says_what_to_do(
    parse: Parse, args: tuple[str, ...], env: dict[str, str], message: str
) -> None:
    assert refusal(parse, *args, env=env).startswith(message)


def test_credentials_given_without_a_target_are_noted_as_unused(parse: Parse) -> None:
    config = parse("--api-key", "k")
    assert any("--api-key unused" in note for note in config.notes)
    assert not parse(env={"SLSKD_API_KEY": "k"}).notes  # an exported variable is not a mistake


# --- the environment -----------------------------------------------------------------------


def test_every_option_reads_the_variable_its_help_names(parse: Parse) -> None:
    from conformance.cli.config import environment_variable

    config = parse(
        env={
            environment_variable("--target-url"): "http://127.0.0.1:1",
            environment_variable("--max-examples"): "7",
            environment_variable("--strict-docs"): "true",
            environment_variable("--peer"): "alice, bob",
            environment_variable("--profile"): "safe-writes",
            environment_variable("--shrink-budget"): "2.5",
        }
    )
    assert config.target_url == "http://127.0.0.1:1"
    assert (config.max_examples, config.strict_docs, config.shrink_budget) == (7, True, 2.5)
    assert (config.profile, config.peers) == (Profile.SAFE_WRITES, ("alice", "bob"))
    assert environment_variable("--target-url") == "SLSKD_TARGET_URL"
    assert environment_variable("--max-examples") == "CONFORMANCE_MAX_EXAMPLES"


def test_consent_to_message_real_users_is_never_read_from_the_environment(parse: Parse) -> None:
    env = {"CONFORMANCE_I_UNDERSTAND_THIS_MESSAGES_REAL_USERS": "true"}
    assert "sends messages to real Soulseek users" in refusal(parse, *LIVE, "--profile", "full", env=env)


def test_the_command_line_beats_the_environment(parse: Parse) -> None:
    config = parse("--max-examples", "3", env={"CONFORMANCE_MAX_EXAMPLES": "9", "CONFORMANCE_KEEP": "no"})
    assert config.max_examples == 3 and config.keep is False


def test_a_bad_value_in_the_environment_is_a_usage_error_naming_the_variable(parse: Parse) -> None:
    assert "CONFORMANCE_STRICT_DOCS must be true or false" in refusal(
        parse, env={"CONFORMANCE_STRICT_DOCS": "maybe"}
    )
    assert refusal(parse, env={"CONFORMANCE_MAX_EXAMPLES": "many"}) == (
        "--max-examples must be a number at least 1 (got 'many') (from CONFORMANCE_MAX_EXAMPLES)"
    )
    assert "(from SLSKD_TARGET_URL)" in refusal(parse, env={"SLSKD_TARGET_URL": "notaurl"})
    assert "(from" not in refusal(parse, "--max-examples", "0", env={"CONFORMANCE_SEED": "1"})


class RecordingGroup:
    """Stands in for pytest's option group: keeps what `add_options` declares."""

    def __init__(self) -> None:
        self.options: list[tuple[str, dict]] = []

    def getgroup(self, *args: object) -> RecordingGroup:
        return self

    def addoption(self, name: str, **kwargs: object) -> None:
        self.options.append((name, kwargs))


def test_the_help_names_a_variable_for_every_option_and_no_dest_that_looks_like_one() -> None:
    from conformance.cli.config import environment_variable
    from conformance.cli.options import add_options

    group = RecordingGroup()
    add_options(group)  # type: ignore[arg-type]
    assert len(group.options) > 20
    for name, kwargs in group.options:
        if name == "--i-understand-this-messages-real-users":
            assert "[env" not in str(kwargs["help"]), "consent is never read from the environment"
            continue
        assert str(kwargs["help"]).endswith(f"[env {environment_variable(name)}]")
        assert kwargs.get("action") == "store_true" or not str(kwargs["metavar"]).startswith("SLSKD_")


@pytest.mark.parametrize(
    ("args", "profile"),
    [
        (("--profile", "full"), Profile.FULL),
        ((), Profile.FULL),  # proven on the simulated network before any write: every check by default
        (("--profile", "read-only"), Profile.READ_ONLY),  # an explicit profile still wins
    ],
)
def test_a_network_control_url_makes_full_the_default_and_allows_it(
    parse: Parse, args: tuple[str, ...], profile: Profile
) -> None:
    config = parse(*LIVE, *args, "--network-control", "http://127.0.0.1:2272/")
    assert (config.profile, config.network_control) == (profile, "http://127.0.0.1:2272")


def test_a_network_control_run_is_paced_until_proven_unless_a_rate_is_given(parse: Parse) -> None:
    proven = parse(*LIVE, "--network-control", "http://127.0.0.1:2272")
    assert (proven.rate, proven.unpaced_once_proven) == (Rate(5, 1.0), True)
    chosen = parse(*LIVE, "--network-control", "http://127.0.0.1:2272", "--rate", "2/s")
    assert (chosen.rate, chosen.unpaced_once_proven) == (Rate(2, 1.0), False)
    assert not parse(*LIVE).unpaced_once_proven


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--network-control", "http://127.0.0.1:2272"), "--network-control needs --target-url"),
        ((*LIVE, "--network-control", "127.0.0.1:2272"), "must be a URL like http://127.0.0.1:2272"),
        ((*LIVE, "--profile", "full"), "add --network-control URL (a simulated network)"),
    ],
)
def test_network_control_mistakes_are_one_line(parse: Parse, args: tuple[str, ...], says: str) -> None:
    assert says in refusal(parse, *args)


def test_a_shrink_budget_of_zero_turns_shrinking_off(parse: Parse) -> None:
    assert parse().shrink and parse().shrink_budget == 20.0
    assert not parse("--shrink-budget", "0").shrink
    assert not parse("--no-shrink").shrink

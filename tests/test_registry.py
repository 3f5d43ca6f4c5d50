"""Every requirement of the catalogue is verified by a registered check, and every check
names only real requirements; requirements that only probes verify are declared, probe named."""

from __future__ import annotations

import pytest

from conformance.apis import installed
from conformance.apis.conversations.ids import Conv
from conformance.apis.rooms.ids import Room
from conformance.apis.searches.ids import Search
from conformance.apis.transfers.ids import Transfer
from conformance.apis.users.ids import User
from conformance.checks.registered import load_checks
from conformance.checks.scenarios import load_scenarios
from conformance.requirements.catalogue import load_catalogue
from conformance.requirements.ids import Req
from conformance.requirements.registry import Check, checks_for, register

# Searches' probes (conformance/apis/searches/suite/test_search_probes.py), by what they ask.
_LIST = "test_search_probes.test_the_list_is_an_array_of_searches_without_responses"
_UNKNOWN_READS = "test_search_probes.test_reads_of_an_unknown_id_answer_404"
_UNKNOWN_WRITES = "test_search_probes.test_writes_to_an_unknown_id_answer_404"
_MALFORMED = "test_search_probes.test_malformed_posts_answer_400_and_start_no_search"
_LOGGED_OUT = "test_search_probes.test_a_post_when_not_logged_in_answers_409_and_leaves_an_errored_row"
_CREATED = "test_search_probes.test_a_search_is_stored_as_sent_cancelled_while_running_and_deleted"
_TIMEOUT = "test_search_probes.test_a_search_nobody_answers_times_out_after_its_timeout"
_CONCURRENT = "test_search_probes.test_at_most_two_searches_run_at_once"

# Transfers' probes (conformance/apis/transfers/suite/) and the requirements only they verify (the
# state machine, rules.py, verifies the downloads' states, endings, bytes, lists and removals too).
_T_LISTS = "test_transfer_probes.test_the_lists_are_arrays_of_users_grouped_by_remote_directory"
_T_UNKNOWN_WRITES = "test_transfer_probes.test_writes_to_an_unknown_download_and_the_bulk_removals"
_T_UNKNOWN_READS = "test_transfer_probes.test_reads_of_an_unknown_download_answer_404"
_T_MALFORMED = "test_transfer_probes.test_malformed_enqueues_answer_400_and_store_nothing"
_T_UPLOADS = "test_transfer_probes.test_an_upload_is_listed_under_its_user_and_read_by_id"
_T_DOWNLOADS = "test_transfer_downloads.test_a_download_from_each_kind_of_peer_ends_as_the_peer_made_it"
_T_OFFLINE = "test_transfer_limits.test_an_enqueue_from_an_offline_peer_answers_500_and_stores_nothing"
_T_IN_FLIGHT = "test_transfer_limits.test_a_third_enqueue_in_flight_answers_429"
TRANSFER_PROBES = {
    _T_LISTS: (
        Transfer.TRANSFER_LIST_200,
        Transfer.TRANSFER_UPLOADS_200,
    ),
    _T_UNKNOWN_WRITES: (
        Transfer.TRANSFER_REMOVE_COMPLETED_204,
        Transfer.TRANSFER_CANCEL_404,
        Transfer.TRANSFER_UPLOADS_REMOVE_COMPLETED_204,
        Transfer.TRANSFER_UPLOADS_CANCEL_404,
        Transfer.DOCGAP_TRANSFER_DELETE_UNKNOWN_204,
    ),
    _T_DOWNLOADS: (
        Transfer.TRANSFER_USERNAME_200,
        Transfer.TRANSFER_GET_200,
        Transfer.TRANSFER_POSITION_200,
        Transfer.TRANSFER_ENQUEUE_QUEUED_LOCALLY,
        Transfer.TRANSFER_ENQUEUE_SKIPPED,
        Transfer.TRANSFER_ENQUEUE_DUPLICATES_500,
        Transfer.TRANSFER_NETWORK_REQUEST,
        Transfer.DOCGAP_TRANSFER_GET_ID_IGNORES_USER,
        Transfer.DOCGAP_TRANSFER_POSITION_INT,
        Transfer.DOCGAP_TRANSFER_STATES,
        Transfer.DOCGAP_TRANSFER_FIELDS,
        Transfer.DOCGAP_TRANSFER_REMOVE_RUNNING,
    ),
    _T_OFFLINE: (
        Transfer.TRANSFER_ENQUEUE_500,
        Transfer.DOCGAP_TRANSFER_ENQUEUE_500,
    ),
    _T_UNKNOWN_READS: (
        Transfer.TRANSFER_GET_404,
        Transfer.TRANSFER_POSITION_404,
        Transfer.DOCGAP_TRANSFER_USER_404_NO_DOWNLOADS,
        Transfer.DOCGAP_TRANSFER_BAD_GUID_400,
    ),
    _T_UPLOADS: (
        Transfer.TRANSFER_UPLOADS_USERNAME_200,
        Transfer.TRANSFER_UPLOADS_CANCEL_204,
        Transfer.TRANSFER_UPLOADS_GET_200,
    ),
    _T_MALFORMED: (
        Transfer.TRANSFER_ENQUEUE_400,
        Transfer.DOCGAP_TRANSFER_ENQUEUE_STATUSES,
    ),
    _T_IN_FLIGHT: (Transfer.TRANSFER_ENQUEUE_429,),
}

# Users' probes (conformance/apis/users/suite/): every Users requirement is verified by probes only.
_U = "test_user_probes.test_"
USER_PROBES = {
    f"{_U}a_browse_shows_every_folder_the_peer_shares_and_then_its_progress": (
        User.USER_BROWSE_200,
        User.USER_BROWSE_LOCKED,
        User.USER_FILE_NAMES,
        User.USER_BROWSE_STATUS_200,
        User.DOCGAP_USER_BROWSE_OBJECT,
        User.DOCGAP_USER_BROWSE_STATUS_OBJECT,
    ),
    f"{_U}each_open_folder_answers_its_contents_and_no_other_folder_answers_one": (
        User.USER_DIRECTORY_200,
        User.USER_DIRECTORY_MISSING,
        User.DOCGAP_USER_DIRECTORY_LIST,
    ),
    f"{_U}user_info_is_the_profile_the_peer_gave": (User.USER_INFO_200,),
    f"{_U}status_and_endpoint_follow_the_presence_the_server_gives": (
        User.USER_STATUS_200,
        User.USER_ENDPOINT_200,
    ),
    f"{_U}offline_and_unknown_users_are_not_found_but_their_status_is_offline": (
        User.USER_STATUS_OFFLINE,
        User.USER_ENDPOINT_404,
        User.USER_INFO_404,
        User.USER_BROWSE_404,
        User.USER_DIRECTORY_404,
        User.USER_BROWSE_STATUS_404,
    ),
    f"{_U}a_peer_that_does_not_answer_or_drops_the_connection_is_a_500": (User.USER_PEER_500,),
    f"{_U}an_empty_or_missing_directory_is_refused_with_400": (
        User.USER_DIRECTORY_400,
        User.DOCGAP_USER_STATUSES,
    ),
}
# Rooms' probes (conformance/apis/rooms/suite/test_room_probes.py) and the requirements only they
# verify (the state machine, rules.py, verifies joins, leaves, says, membership and messages too).
_R_NOT_JOINED = "test_room_probes.test_a_room_not_joined_is_not_found"
_R_JOIN = "test_room_probes.test_a_join_lists_the_members_and_the_chatter_follows"
_R_PRIVATE = "test_room_probes.test_the_private_room_its_ticker_and_a_member_added"
_R_LIST = "test_room_probes.test_the_server_room_list_is_listed_as_the_server_sent_it"
_R_KEPT = "test_room_probes.test_a_room_keeps_its_latest_250_messages"
_R_REFUSED = "test_room_probes.test_a_refused_join_is_an_error_and_tracks_no_room"
ROOM_PROBES = {
    _R_NOT_JOINED: (
        Room.ROOM_GET_404,
        Room.ROOM_TICKER_404,
        Room.ROOM_MEMBERS_404,
        Room.DOCGAP_ROOM_JOINED_NAMES,
    ),
    _R_JOIN: (
        Room.ROOM_GET_200,
        Room.ROOM_USERS_200,
        Room.ROOM_MESSAGES_200,
        Room.ROOM_NAMES_CASE_SENSITIVE,
        Room.DOCGAP_ROOM_JOIN_200,
    ),
    _R_PRIVATE: (Room.ROOM_TICKER_201, Room.ROOM_MEMBERS_201),
    _R_LIST: (Room.ROOM_AVAILABLE_200, Room.ROOM_AVAILABLE_LISTED),
    _R_KEPT: (Room.ROOM_MESSAGES_KEPT,),
    _R_REFUSED: (Room.DOCGAP_ROOM_JOIN_REFUSED_500,),
}

# Requirements no fuzzing or state-machine check reaches: one probe pins each down.
PROBES_ONLY = {
    Req.API_415_NON_JSON: "scenarios.non-json-bodies-answer-415",
    Conv.CONV_SEND_EMPTY_400: "scenarios.empty-and-invalid-messages-answer-400-and-store-nothing",
    Conv.DOCGAP_SEND_BLACKLISTED_200: "scenarios.sending-to-a-blacklisted-user",
    Conv.CONV_MSGS_WINDOW: "test_probes.test_only_the_latest_100_messages_are_returned_oldest_first",
    Conv.MSG_FIELDS: "test_probes.test_messages_carry_every_field",
    Conv.MSG_WAS_REPLAYED: "test_probes.test_messages_carry_every_field",
    Conv.CONV_SEND_BODY_TEXT: "test_probes.test_message_bodies_round_trip_unchanged",
    Conv.NET_SEND_DELIVERED: "test_network.test_a_send_is_one_private_message_on_the_network",
    Conv.NET_RECV_TIMESTAMP: "test_network.test_incoming_keeps_the_server_second_its_ack_sends_its_id",
    Conv.NET_ACK_ONE_SENDS_ID: "test_network.test_incoming_keeps_the_server_second_its_ack_sends_its_id",
    Conv.NET_ACK_ALL_SENDS_IDS: "test_network.test_acknowledge_all_and_close_send_every_unacknowledged_id",
    Conv.NET_RECV_REPLAYED: "test_network.test_an_unacknowledged_message_is_replayed_at_the_next_login",
    Search.SEARCH_LIST_200: _LIST,
    Search.SEARCH_GET_404: _UNKNOWN_READS,
    Search.SEARCH_RESPONSES_404: _UNKNOWN_READS,
    Search.SEARCH_CANCEL_404: _UNKNOWN_WRITES,
    Search.SEARCH_DELETE_404: _UNKNOWN_WRITES,
    Search.DOCGAP_SEARCH_CANCEL_404: _UNKNOWN_WRITES,
    Search.SEARCH_CREATE_400_BLANK: _MALFORMED,
    Search.SEARCH_CREATE_400_RANGE: _MALFORMED,
    Search.SEARCH_CREATE_400_SINGLE_CHAR: _MALFORMED,
    Search.DOCGAP_SEARCH_CREATE_STATUSES: _MALFORMED,
    Search.SEARCH_CREATE_409_LOGGED_OUT: _LOGGED_OUT,
    Search.SEARCH_CREATE_409_ROW: _LOGGED_OUT,
    Search.SEARCH_GET_200: _LOGGED_OUT,
    Search.SEARCH_RESPONSES_200: _LOGGED_OUT,
    Search.DOCGAP_SEARCH_CANCEL_IDLE: _LOGGED_OUT,
    Search.SEARCH_CREATE_OK: _CREATED,
    Search.SEARCH_CREATE_OBJECT: _CREATED,
    Search.SEARCH_CREATE_ID_HONOURED: _CREATED,
    Search.DOCGAP_SEARCH_POST_RUNNING: _CREATED,
    Search.SEARCH_CANCEL_200: _CREATED,
    Search.DOCGAP_SEARCH_TIMEOUT_UNIT: _TIMEOUT,
    Search.SEARCH_CONCURRENCY: _CONCURRENT,
    **{requirement: probe for probe, verified in TRANSFER_PROBES.items() for requirement in verified},
    **{requirement: probe for probe, verified in USER_PROBES.items() for requirement in verified},
    **{requirement: probe for probe, verified in ROOM_PROBES.items() for requirement in verified},
}


@pytest.fixture(scope="module")
def checks() -> tuple[Check, ...]:
    return load_checks()


def test_every_registered_check_lists_its_requirements(checks: tuple[Check, ...]) -> None:
    catalogue = load_catalogue()
    listing = "\n".join(f"{c.name} ({c.kind}): {', '.join(c.requirements)}" for c in checks)
    print(listing)  # the registry, requirement by check (pytest -s shows it)
    assert len(checks) >= 40
    for check in checks:
        assert check.requirements, f"{check.name} verifies nothing"
        unknown = set(check.requirements) - set(catalogue)
        assert not unknown, f"{check.name} names requirements the catalogue lacks: {sorted(unknown)}"


def test_every_catalogue_requirement_has_a_check(checks: tuple[Check, ...]) -> None:
    unchecked = [requirement for requirement in load_catalogue() if not checks_for(requirement)]
    assert not unchecked, f"no registered check verifies {unchecked}"


def test_requirements_only_probes_verify_are_declared_with_their_probe(checks: tuple[Check, ...]) -> None:
    probes_only = {
        requirement: tuple(c.name for c in checks_for(requirement))
        for requirement in load_catalogue()
        if {c.kind for c in checks_for(requirement)} == {"probe"}
    }
    assert set(probes_only) == set(PROBES_ONLY), "declare (or undeclare) the probe-only requirements"
    for requirement, probe in PROBES_ONLY.items():
        assert probe in probes_only[requirement], f"{requirement} is verified by {probes_only[requirement]}"


def test_every_id_constant_is_a_catalogue_requirement() -> None:
    """The engine's shared ids and each API's own ids (`Api.ids`) are the catalogue, each once."""
    constants = [str(r) for ids in (Req, *(api.ids for api in installed() if api.ids)) for r in ids]
    assert len(constants) == len(set(constants)), "an id is a constant of two enums"
    assert set(constants) == set(load_catalogue())


def test_a_name_means_one_check() -> None:
    (no_nulls,) = [c for c in load_checks() if c.name == "responses.no_nulls"]
    assert register(no_nulls.name, no_nulls.kind, no_nulls.requirements, no_nulls.doc) == no_nulls
    with pytest.raises(ValueError, match="two different checks"):
        register("responses.no_nulls", "response", (Req.API_TIMESTAMP_UTC,))


def test_every_scenario_names_a_requirement_per_expectation() -> None:
    for scenario in load_scenarios():
        assert scenario.requirements, f"scenario {scenario.name} expects nothing"
        assert all(step.expect or step.method == "POST" for step in scenario.steps), (
            f"scenario {scenario.name}: a step without expectations only sets the scene (a send)"
        )


def test_conformance_requirements_lists_requirement_level_and_checks(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from conformance.checks.command import main

    assert main([]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert len(rows) == len(load_catalogue())
    assert "NO CHECK" not in "\n".join(rows)
    assert rows[0].split()[:2] == ["API-NO-SERVER-ERROR", "MUST"]
    assert "generic.check_case" in rows[0] and "comparison.ModelComparison.request" in rows[0]
    assert main(["API-NO-NULLS"]) == 0
    assert "responses.no_nulls: No property of a JSON body is written as null." in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_info:
        main(["NO-SUCH-REQUIREMENT"])
    assert exit_info.value.code == 2

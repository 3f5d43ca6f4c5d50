"""What every view derives from results.json: defects, headlines, per-operation counts, masking."""

from __future__ import annotations

from conformance.reporting import view
from tests.fixtures.results import load, requirement


def test_a_doc_gap_is_a_defect_only_under_strict_docs() -> None:
    gap = requirement(load("non_conformant"), "DOCGAP-SEND-BLACKLISTED-200")
    assert view.is_doc_gap(gap)
    assert not view.is_defect(gap, strict_docs=False)
    assert view.is_defect(gap, strict_docs=True)


def test_the_headline_names_the_verdict_and_both_counts() -> None:
    assert view.verdict_headline(load("non_conformant")) == "Non-conformant: 2 defects, 1 documentation gap"
    assert view.verdict_headline(load("conformant")) == "Conformant"


def test_operation_rows_count_each_requirement_once_per_operation_it_names() -> None:
    rows = {row.operation: row for row in view.operation_rows(load("non_conformant"))}
    assert next(iter(rows)) == "GET /conversations"
    assert rows["GET /conversations/{username}"].counts["MUST"]["fail"] == 1
    assert rows["POST /conversations/{username}"].counts["INFO"]["fail"] == 1


def test_a_failure_counts_only_against_the_operation_where_it_happened() -> None:
    results = load("non_conformant")
    server_error = requirement(results, "CONV-GET-404")
    server_error["operations"] = ["GET /conversations", "GET /conversations/{username}"]
    rows = {row.operation: row for row in view.operation_rows(results)}
    assert rows["GET /conversations/{username}"].counts["MUST"]["fail"] == 1
    assert rows["GET /conversations"].counts["MUST"]["fail"] == 0
    assert view.failing_operations(server_error) == ["GET /conversations/{username}"]


def test_a_failure_without_a_matching_request_counts_against_all_its_operations() -> None:
    failing = {"operations": ["GET /a", "PUT /a/{id}"], "evidence": [{"exchanges": []}]}
    assert view.failing_operations(failing) == ["GET /a", "PUT /a/{id}"]


def test_operations_with_findings_are_those_with_a_failure_or_a_gap() -> None:
    rows = view.operation_rows(load("non_conformant"))
    assert [row.operation for row in rows if row.has_findings] == [
        "GET /conversations",
        "GET /conversations/{username}",
        "POST /conversations/{username}",
    ]


def test_a_request_is_matched_to_its_operation_by_method_and_path_template() -> None:
    labels = [
        "GET /conversations/{username}",
        "GET /conversations/{username}/messages",
        "PUT /conversations/{username}/{id}",
    ]
    assert view.operation_of("GET", "http://h/api/v0/conversations/bob/messages?x=1", labels) == labels[1]
    assert view.operation_of("PUT", "http://h/api/v0/conversations/a%2Fb/0", labels) == labels[2]
    assert view.operation_of("DELETE", "http://h/api/v0/conversations/bob", labels) is None


def test_masked_curl_hides_credential_headers_and_keeps_the_rest() -> None:
    line = "curl -X GET http://h/x -H 'Authorization: Bearer abc' --header 'cookie: a=b' -H 'Accept: */*'"
    assert view.masked_curl(line) == (
        "curl -X GET http://h/x -H 'Authorization: ***' --header 'cookie: ***' -H 'Accept: */*'"
    )


def test_masked_curl_still_masks_a_line_it_cannot_parse() -> None:
    assert view.masked_curl("curl http://h -H 'X-API-Key: abc") == "curl http://h -H 'X-API-Key: ***"


def test_masked_headers_hide_credentials_whatever_their_case() -> None:
    shown = dict(view.masked_headers({"x-api-key": "k", "Set-Cookie": "s=1", "Accept": "a"}))
    assert shown == {"x-api-key": "***", "Set-Cookie": "***", "Accept": "a"}


def test_masked_curl_keeps_a_variable_reference_expandable() -> None:
    line = "curl -X GET http://h/x -H \"X-API-Key: $SLSKD_API_KEY\" -H 'Authorization: Bearer abc'"
    assert view.masked_curl(line) == (
        "curl -X GET http://h/x -H \"X-API-Key: $SLSKD_API_KEY\" -H 'Authorization: ***'"
    )
    clean = 'curl -X PUT http://h/x -H "X-API-Key: $SLSKD_API_KEY"'
    assert view.masked_curl(clean) == clean

"""The HTML report: one offline file that shows the verdict, the counts and how to reproduce each failure."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from conformance.reporting.html import chart_bars, render_html, write_html
from tests.fixtures.results import SECRET, load, requirement


class Outline(HTMLParser):
    """The parts of a page the tests reason about: headings, external references, ids."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[int] = []
        self.external: list[str] = []
        self.ids: list[str] = []
        self.labels_for_controls = 0
        self.controls = 0
        self._in_label = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        for name in ("src", "href"):
            link = values.get(name) or ""
            if link and not link.startswith("#"):
                self.external.append(f"{tag} {name}={link}")
        if tag == "link":
            self.external.append("link")
        if values.get("id"):
            self.ids.append(values["id"] or "")
        if tag == "label":
            self._in_label += 1
        if tag in ("select", "input"):
            self.controls += 1
            self.labels_for_controls += bool(self._in_label)

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self._in_label -= 1


def between(page: str, start: str, end: str) -> str:
    """The part of `page` from the first `start` to the next `end` after it."""
    begin = page.index(start)
    return page[begin : page.index(end, begin + len(start))]


def outline(page: str) -> Outline:
    parser = Outline()
    parser.feed(page)
    return parser


def test_the_banner_gives_the_verdict_in_words_and_the_counts() -> None:
    page = render_html(load("non_conformant"))
    banner = between(page, 'id="verdict"', 'id="summary"')
    assert "Non-conformant" in banner
    assert "2 defects" in banner
    assert "1 documentation gap" in banner
    assert "requirements covered: 56/59 (95%)" in banner
    assert 'href="#req-CONV-GET-404"' in banner


def test_auth_checks_that_did_not_run_are_said_in_the_banner_not_only_in_a_note() -> None:
    results = load("conformant")
    results["run"]["authentication"] = {
        "state": "off",
        "reason": "GET /api/v0/session/enabled says disabled, and GET /api/v0/conversations answered",
        "served_anonymously": ["GET /api/v0/conversations"],
    }
    banner = between(render_html(results), 'id="verdict"', 'id="summary"')
    assert "auth checks not run: authentication is off (GET /api/v0/session/enabled says disabled" in banner


def test_a_banner_with_authentication_on_or_undecided_by_an_older_document_says_nothing_of_it() -> None:
    results = load("conformant")
    assert "auth checks not run" not in render_html(results)  # written before run.authentication
    results["run"]["authentication"] = {"state": "on", "reason": "r", "served_anonymously": []}
    assert "auth checks not run" not in render_html(results)


def test_a_conformant_run_says_so_and_lists_no_defects() -> None:
    page = render_html(load("conformant"))
    assert "<title>Conformant · " in page
    assert "0 defects" in page
    assert 'class="failure' not in page


def test_every_requirement_has_a_row_with_its_status_and_filter_data() -> None:
    results = load("non_conformant")
    page = render_html(results)
    rows = re.findall(r'<tr class="req [^"]*" id="row-([A-Z0-9-]+)"', page)
    assert rows == [r["id"] for r in results["requirements"]]
    assert re.search(
        r'id="row-CONV-GET-404"\s+data-id="CONV-GET-404" data-level="MUST" data-status="fail"', page
    )
    assert 'data-ops="GET /conversations/{username}"' in page


def test_a_failure_shows_message_statement_source_exchanges_and_curl() -> None:
    results = load("non_conformant")
    page = render_html(results)
    details = between(page, 'id="req-CONV-LIST-UNACK-FILTER"', '<tr class="req')
    failing = requirement(results, "CONV-LIST-UNACK-FILTER")
    assert "listed &#39;alice&#39;, whose 2 messages are all acknowledged" in details
    assert failing["statement"] in details
    assert failing["source"] in details
    assert "Request sequence (3 exchanges)" in details
    assert details.count('<details class="exchange"') == 3
    assert (
        "curl -X PUT http://127.0.0.1:5030/api/v0/conversations/alice -H &#39;X-API-Key: ***&#39;" in details
    )


def test_text_from_the_target_is_escaped_not_interpreted() -> None:
    page = render_html(load("non_conformant"))
    assert "<alice>" not in page
    assert "hello &lt;alice&gt; &amp; co" in page


def test_credential_headers_are_masked_even_when_results_json_holds_them_in_clear() -> None:
    results = load("non_conformant")
    evidence = requirement(results, "CONV-GET-404")["evidence"][0]
    evidence["exchanges"][0]["request"]["headers"]["X-API-Key"] = SECRET
    evidence["exchanges"][0]["response"]["headers"]["Set-Cookie"] = f"session={SECRET}"
    evidence["curl"] = [line.replace("X-API-Key: ***", f"X-API-Key: {SECRET}") for line in evidence["curl"]]
    page = render_html(results)
    assert SECRET not in page


def test_doc_gaps_overlay_not_covered_and_skipped_have_their_sections() -> None:
    page = render_html(load("non_conformant"))
    gaps = between(page, 'id="doc-gaps"', 'id="not-covered"')
    assert "DOCGAP-SEND-BLACKLISTED-200" in gaps
    assert "POST /conversations/{username} 415" in gaps  # an overlay entry
    uncovered = between(page, 'id="not-covered"', 'id="run"')
    assert "CONV-MSGS-WINDOW" in uncovered and "MSG-WAS-REPLAYED" in uncovered
    assert "no --readonly-api-key given" in uncovered


def test_why_a_requirement_is_not_covered_is_said_in_the_html() -> None:
    results = load("non_conformant")
    reason = "every request answered 404 ('not found', as documented)"
    requirement(results, "CONV-MSGS-WINDOW")["reason"] = reason
    page = render_html(results)
    uncovered = between(page, 'id="not-covered"', 'id="run"')
    assert "Why: every request answered 404 (&#39;not found&#39;, as documented)" in uncovered
    assert "Not covered: every request answered 404" in page  # its row in the matrix too


def test_run_metadata_is_shown() -> None:
    results = load("non_conformant")
    page = render_html(results)
    run = page[page.index('id="run"') :]
    for fact in (
        results["run"]["spec"]["sha256"],
        "0.26.0",
        "GET /api/v0/application/version",
        "get-404-as-200",
    ):
        assert fact in run


def test_the_page_is_self_contained_and_structured_for_assistive_technology() -> None:
    page = render_html(load("non_conformant"))
    parsed = outline(page)
    assert parsed.external == []
    assert "@import" not in page and "url(" not in page
    assert parsed.headings[0] == 1 and parsed.headings.count(1) == 1
    assert all(b - a <= 1 for a, b in zip(parsed.headings, parsed.headings[1:], strict=False))
    assert len(parsed.ids) == len(set(parsed.ids))
    assert parsed.controls == parsed.labels_for_controls == 5
    assert '<th scope="col">ID</th>' in page and '<th scope="row">' in page


def test_the_chart_splits_each_level_by_status_in_proportion() -> None:
    bars = {bar.level: bar for bar in chart_bars(load("non_conformant"))}
    should = bars["SHOULD"]
    assert should.total == 34
    assert [(s.css, s.count) for s in should.segments] == [
        ("pass", 30),
        ("fail", 1),
        ("not-covered", 2),
        ("skipped", 1),
    ]
    assert abs(sum(s.width for s in should.segments) - 400) < 1e-9
    assert [s.css for s in bars["INFO"].segments] == ["pass", "gap"]


def test_write_html_creates_the_folder(tmp_path: Path) -> None:
    path = write_html(load("conformant"), tmp_path / "run" / "index.html")
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_the_operations_table_shows_only_operations_with_findings_and_all_one_click_away() -> None:
    page = render_html(load("non_conformant"))
    findings = between(page, 'id="ops-findings"', "</table>")
    assert "Operations with findings" in findings and "· 3 of " in findings
    rows = re.findall(r'<th scope="row">([^<]+)</th>', findings)
    assert rows == [
        "GET /conversations",
        "GET /conversations/{username}",
        "POST /conversations/{username}",
        "All requirements",
    ]
    every = between(page, '<details class="all-ops"', "</details>")
    assert "PUT /conversations/{username}/{id}" in every and "DELETE /conversations/{username}" in every


def test_a_run_without_findings_says_so_above_the_full_table() -> None:
    page = render_html(load("conformant"))
    assert "No operation has a failure or a documentation gap." in page
    assert '<details class="all-ops"' in page

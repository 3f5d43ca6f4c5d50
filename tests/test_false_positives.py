"""The false-positive measurement covers every server the docs allow, and slskd's known set."""

from __future__ import annotations

from bench.false_positives import KNOWN_SLSKD, servers
from conformance.reference.variants import VARIANTS
from tests.test_end_to_end import SLSKD_QUIRKS


def test_every_allowed_server_is_measured_with_no_defect_excused() -> None:
    measured = {server.name: server for server in servers()}
    assert {"documented", "intended", "every variant at once"} <= measured.keys()
    assert {f"variant {variant}" for variant in VARIANTS} <= measured.keys()
    allowed = [server for server in measured.values() if "slskd" not in server.name]
    assert all(not server.known for server in allowed), "a server the docs allow has no real defect"


def test_slskd_is_excused_exactly_its_known_deviations() -> None:
    (slskd,) = [server for server in servers() if "slskd" in server.name]
    assert slskd.known == KNOWN_SLSKD == {r for r in SLSKD_QUIRKS if not r.startswith("DOCGAP-")}


def test_a_variant_just_added_can_be_judged_alone() -> None:
    assert [server.name for server in servers(["variant gzip"])] == ["variant gzip"]
    assert [server.name for server in servers(["documented", "slskd"])] == [
        "documented",
        "slskd (known deviations)",
    ]

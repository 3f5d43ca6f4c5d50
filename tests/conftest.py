"""Where the checker's own tests find the third-party inputs this repository does not commit.

The full docs set (the openapi-generator `docs/` folder of crmne/slskd-python-client at
1a9c1fb) and the OpenAPI file it was generated from live in the workspace's `../shared`
beside a clone, or wherever $SLSKD_DOCS / $SLSKD_UPSTREAM_OPENAPI say. Tests that need them
skip, naming what is missing, in a clone without them; CI has them, so there a missing
input fails the test instead of silently skipping it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.data.resources import DOCS_ORIGIN, DOCS_VARIABLE
from conformance.reference import ReferenceServer
from tests.servers.reference import BEHAVIOURS, serve

SHARED = Path(__file__).resolve().parents[2] / "shared"
FIXTURE_DOCS = Path(__file__).parent / "fixtures" / "docs"  # our own pages in the generator's format
UPSTREAM_VARIABLE = "SLSKD_UPSTREAM_OPENAPI"


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """`-n auto` balances by work stealing, not in fixed chunks: a few dozen of these tests are
    whole runs of several seconds each, and a worker left holding the last of them kept the
    other idle for a minute. An explicit --dist is left as given."""
    if getattr(config.option, "numprocesses", None) and config.option.dist == "no":
        config.option.dist = "worksteal"


def require(path: Path, what: str) -> Path:
    """`path`, or a skip naming what is missing and where it was looked for (a failure on CI)."""
    if path.exists():
        return path
    reason = f"{what} not found at {path}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}: CI must run every test", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def slskd_docs() -> Path:
    """The full docs set the committed specs are generated from."""
    path = os.environ.get(DOCS_VARIABLE) or SHARED / "seeds" / "slskd-python-client-docs"
    return require(Path(path), f"full upstream docs ({DOCS_ORIGIN.short} docs/; set {DOCS_VARIABLE})")


@pytest.fixture(scope="session")
def upstream_openapi() -> Path:
    """The OpenAPI file those docs were generated from."""
    default = SHARED / "specs-upstream" / f"crmne-slskd-python-client.openapi.{DOCS_ORIGIN.commit[:7]}.yaml"
    path = os.environ.get(UPSTREAM_VARIABLE) or default
    return require(
        Path(path), f"upstream OpenAPI file ({DOCS_ORIGIN.short} openapi.yaml; set {UPSTREAM_VARIABLE})"
    )


@pytest.fixture(params=BEHAVIOURS)
def server(request: pytest.FixtureRequest) -> Iterator[ReferenceServer]:
    with serve(request.param) as running:
        yield running


@pytest.fixture
def slskd() -> Iterator[ReferenceServer]:
    with serve("slskd") as running:
        yield running


@pytest.fixture
def documented() -> Iterator[ReferenceServer]:
    with serve("documented") as running:
        yield running

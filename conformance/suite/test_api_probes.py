"""The probes an API declares (`Api.probes`), each run once like the suite's own probes.

An API brings its probes with its declaration, so adding one touches only the API's
package: each probe gets its API's probe (`Api.probe`, else a `Probe`: the judged view of the
target) and records its verdicts; the item fails with every defect it found.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from conformance.apis import installed
from conformance.apis.interface import Api
from conformance.checks.context import SuiteContext
from conformance.checks.probes import Probe

DECLARED = [(api, probe) for api in installed() for probe in api.probes]


# Defined only when some API declares probes: an empty parametrization would be a skipped item.
if DECLARED:

    @pytest.mark.parametrize(
        ("api", "declared"), DECLARED, ids=[f"{api.name}.{probe.__name__}" for api, probe in DECLARED]
    )
    def test_api_probe(conformance: SuiteContext, api: Api, declared: Callable[[Probe], Any]) -> None:
        probe = (api.probe or Probe)(conformance)
        declared(probe)
        probe.done()

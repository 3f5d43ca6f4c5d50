"""Every check of the suite, registered: importing the modules that define checks fills the registry.

`conformance requirements`, the registry test and the reports ask `load_checks()` rather
than importing check modules one by one, so a new module of checks is added here once (or,
for an API's own checks, named in its declaration: `Api.checks`).
"""

from __future__ import annotations

import importlib

from conformance.apis import installed
from conformance.requirements.registry import Check, all_checks

# The modules that define checks: per-response checks, Schemathesis' mapping, the state
# machine's driver, the data scenarios, the network probes and the APIs' declared probes.
CHECK_MODULES = (
    "conformance.checks.responses",
    "conformance.checks.generic",
    "conformance.checks.stateful",
    "conformance.suite.test_scenarios",
    "conformance.suite.test_network",
    "conformance.suite.test_api_probes",
)


def load_checks() -> tuple[Check, ...]:
    """Every registered check (importing their modules first)."""
    for module in (*CHECK_MODULES, *(module for api in installed() for module in api.checks)):
        importlib.import_module(module)
    return all_checks()

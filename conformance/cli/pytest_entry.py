"""The pytest plugin an install registers (entry point `pytest11`): the conformance plugin, on demand.

An installed plugin loads in every pytest run in that environment, a user's unrelated test
suite included. This one imports nothing heavy and adds no option, fixture or hook to such a
run: only when the command line selects the conformance suite (`pytest --pyargs
conformance.suite …`, or a path inside it) does it load `conformance.cli.plugin`, whose options
and run lifecycle then apply. It runs before pytest parses the options, so theirs are known.
"""

from __future__ import annotations

import pytest

from conformance.cli.runner import names_suite

PLUGIN = "conformance.cli.plugin"


def pytest_load_initial_conftests(
    early_config: pytest.Config, parser: pytest.Parser, args: list[str]
) -> None:
    if names_suite(args, pyargs=early_config.known_args_namespace.pyargs):
        early_config.pluginmanager.import_plugin(PLUGIN)

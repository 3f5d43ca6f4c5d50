"""Loads the slskd-conformance pytest plugin when pytest runs from a clone of the repository."""

pytest_plugins = ["conformance.cli.plugin"]

"""`python -m conformance.cli …` is the `conformance` command (the tests start it this way)."""

from conformance.cli.main import entry

entry()

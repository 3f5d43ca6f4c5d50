"""`python -m conformance.cli …` is the `conformance` command (the tests start it this way)."""

import sys

from conformance.cli.main import main

sys.exit(main())

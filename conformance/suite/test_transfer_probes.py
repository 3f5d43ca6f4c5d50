"""Transfers' probes that need no peer, collected with the suite.

They live in the API's package (`conformance/apis/transfers/suite/test_transfer_probes.py`); the
suite collects what this module imports, so `pytest --pyargs conformance.suite` runs them.
"""

from conformance.apis.transfers.suite.test_transfer_probes import *  # noqa: F403

"""Transfers' probes of the limits and removals around a download, collected with the suite.

They live in the API's package (`conformance/apis/transfers/suite/test_transfer_limits.py`);
the suite collects what this module imports, so `pytest --pyargs conformance.suite` runs them.
"""

from conformance.apis.transfers.suite.test_transfer_limits import *  # noqa: F403

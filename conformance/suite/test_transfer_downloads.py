"""Transfers' download probe with the simulated peers, collected with the suite.

It lives in the API's package (`conformance/apis/transfers/suite/test_transfer_downloads.py`);
the suite collects what this module imports, so `pytest --pyargs conformance.suite` runs it.
"""

from conformance.apis.transfers.suite.test_transfer_downloads import *  # noqa: F403

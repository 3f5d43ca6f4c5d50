"""Searches' probe with the simulated peers, collected with the suite.

It lives in the API's package (`conformance/apis/searches/suite/test_search_peers.py`); the
suite collects what this module imports, so `pytest --pyargs conformance.suite` runs it.
"""

from conformance.apis.searches.suite.test_search_peers import *  # noqa: F403

"""Searches' probes, collected with the suite.

They live in the API's package (`conformance/apis/searches/suite/test_search_probes.py`); the
suite collects what this module imports, so `pytest --pyargs conformance.suite` runs them.
"""

from conformance.apis.searches.suite.test_search_probes import *  # noqa: F403

"""Conversations' probes that compute from the answers' bodies, collected with the suite.

They live in the API's package (`conformance/apis/conversations/suite/test_probes.py`); the suite
collects what this module imports, so `pytest --pyargs conformance.suite` runs them as before.
"""

from conformance.apis.conversations.suite.test_probes import *  # noqa: F403

"""Conversations' authentication probes (every operation without credentials and with a
wrong key answers 401), collected with the suite.

They live in the API's package (`conformance/apis/conversations/suite/test_auth.py`); the suite
collects what this module imports, so `pytest --pyargs conformance.suite` runs them as before.
"""

from conformance.apis.conversations.suite.test_auth import *  # noqa: F403

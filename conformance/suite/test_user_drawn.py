"""Users' drawn probes, collected with the suite.

They live in the API's package (`conformance/apis/users/suite/test_user_drawn.py`); the suite collects
what this module imports, so `pytest --pyargs conformance.suite` runs them.
"""

from conformance.apis.users.suite.test_user_drawn import *  # noqa: F403

"""Users' probes probes, collected with the suite.

They live in the API's package (`conformance/apis/users/suite/test_user_probes.py`); the suite collects
what this module imports, so `pytest --pyargs conformance.suite` runs them.
"""

from conformance.apis.users.suite.test_user_probes import *  # noqa: F403

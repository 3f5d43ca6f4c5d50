"""Rooms' probes, collected with the suite.

They live in the API's package (`conformance/apis/rooms/suite/test_room_probes.py`); the suite
collects what this module imports, so `pytest --pyargs conformance.suite` runs them.
"""

from conformance.apis.rooms.suite.test_room_probes import *  # noqa: F403

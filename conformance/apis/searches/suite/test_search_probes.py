"""Searches' probes: fixed request sequences, one question each, named after the requirements
they answer (filled in by issue 23; the thin `conformance/suite/test_search_probes.py` collects them)."""

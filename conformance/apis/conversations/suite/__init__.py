"""Conversations' probes that are code, as pytest modules: `conformance.suite` collects them
(its `test_probes`, `test_usernames` and `test_auth` import these), and `Api.checks`
registers them."""

"""Conversations' probes that are code, as pytest modules: `conformance.suite` collects them
(its `test_probes` and `test_usernames` import these), and `Api.checks` registers them."""

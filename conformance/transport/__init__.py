"""The transport: the one place every request of a run goes through (guard, pacing, budget, TLS, capture)."""

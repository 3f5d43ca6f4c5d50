"""A run's draws come from its --seed and the suite's strategies, never from the checker's source.

Hypothesis (6.131 and later) mixes into about one draw in twenty a literal taken from the source
of every *local* module imported, one outside site-packages. From a checkout or an editable
install that is every string and number in `conformance/`, so editing any of them changes what
every seed sends, even in code a run never executes: the simulated network's room-list and
status-push code (new codes and log texts, none of them reached by an embedded run) moved the
default run at seed 0 from 955 requests to 1231 and changed which sequences the state machine
tried. An install under site-packages reads no such literal, so the same seed sent other requests
there than in the checkout its figures were measured in. The run keeps that pool empty: a seed
replays the same requests wherever the checker is installed, and the request count moves only
when the suite's strategies or budgets do.

Hypothesis has no setting for this; the pool is private (`_get_local_constants`). When a
Hypothesis release no longer has it, nothing is changed and `keep_draws_seeded` says so.
"""

from __future__ import annotations

from hypothesis.internal.conjecture import providers


def keep_draws_seeded() -> bool:
    """Empty Hypothesis' pool of source literals for this process; False if there is none to empty."""
    constants = getattr(providers, "Constants", None)
    if constants is None or not callable(getattr(providers, "_get_local_constants", None)):
        return False
    empty = constants()
    providers._get_local_constants = lambda: empty
    cache = getattr(providers, "CONSTANTS_CACHE", None)
    if cache is not None:  # pools already built from the literals (draws made before the run)
        cache.cache.clear()
    return True

"""The APIs the checker knows, one package each: what an API is, apart from the engine that runs it.

An API's package holds everything that is about that API and nothing else: its model and the
state machine's rules and steps, its data scenarios, and its emulation in the reference server.
The engine (run, transport, results, reporting, specgen, requirements) names no API.
"""

"""Ctrl-C under pytest-xdist: the controller waits a moment for its workers' cleanup and facts.

A Ctrl-C at a terminal reaches the controller and every worker. Each worker stops its test,
cleans up (`Run.cleanup`, at most `CLEANUP_AFTER_CTRL_C`) and sends what it learned with its
last message; pytest-xdist's controller, interrupted itself, would stop reading and tear the
workers down at once, so the run wrote no partial report and a worker's cleanup could be cut
off. `TakeWorkersFacts` keeps reading their messages for `WORKERS_AFTER_CTRL_C` seconds (the
run still ends within 2 s), then lets the interrupt go on.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Generator
from typing import Any

import pytest

WORKERS_AFTER_CTRL_C = 1.3  # their cleanup (1 s) and last message; the report is written after


class TakeWorkersFacts:
    """Registered with every run; acts only in a pytest-xdist controller that was interrupted."""

    @pytest.hookimpl(wrapper=True)
    def pytest_runtestloop(self, session: pytest.Session) -> Generator[None, Any, Any]:
        try:
            return (yield)
        except KeyboardInterrupt:
            controller = session.config.pluginmanager.getplugin("dsession")
            if controller is not None:
                _take_last_messages(controller, session.config, WORKERS_AFTER_CTRL_C)
            raise


def _take_last_messages(controller: Any, config: pytest.Config, within: float) -> None:
    """Handle the workers' messages (their reports, then each one's facts as it finishes) until
    every worker is done or `within` seconds have passed. A finished worker is told to the
    hooks once (pytest-xdist's own handler would, for an interrupted worker, tell it twice and
    start a replacement)."""
    controller.triggershutdown()
    ends = time.monotonic() + within
    while controller._active_nodes and (left := ends - time.monotonic()) > 0:
        try:
            name, kwargs = controller.queue.get(timeout=left)
        except queue.Empty:
            return
        if name in ("workerfinished", "errordown"):
            node = kwargs["node"]
            config.hook.pytest_testnodedown(node=node, error=kwargs.get("error"))
            controller._active_nodes.discard(node)
        else:
            getattr(controller, f"worker_{name}")(**kwargs)

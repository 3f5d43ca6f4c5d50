"""Errors that end a run with one readable line and a documented exit code.

A user pointing the checker at a misconfigured or unreachable slskd must get a sentence
they can act on, never a traceback; the exit code tells CI which kind of problem it was.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """The process exit codes the CLI and the pytest front door promise."""

    CONFORMANT = 0
    NON_CONFORMANT = 1
    USAGE = 2
    TARGET_UNUSABLE = 3
    INCOMPLETE = 4  # cut short: budget reached, interrupted, a request blocked or unbounded
    INTERNAL = 5  # the checker itself failed (pytest's INTERNALERROR): a bug to report


class ConformanceError(Exception):
    """A problem the user must fix; its message is shown as is, on one line."""

    exit_code: ExitCode = ExitCode.USAGE


class ConfigError(ConformanceError):
    """Bad options or configuration: the run never started."""

    exit_code = ExitCode.USAGE


class TargetError(ConformanceError):
    """The target cannot be tested: unreachable, not slskd, TLS or auth trouble."""

    exit_code = ExitCode.TARGET_UNUSABLE


class RunCutShort(ConformanceError):
    """The run stopped before every check could judge: its verdict is "incomplete", not a pass.

    A check that meets one is not a failure of the target; the test is reported skipped with
    this one line, and the run says the reason once.
    """

    exit_code = ExitCode.INCOMPLETE


class WriteBlocked(RunCutShort):
    """The write guard refused a request the profile does not allow.

    Raised by the transport, below Schemathesis and Hypothesis, so no generated case and
    no hand-written check can send a write the user did not allow.
    """

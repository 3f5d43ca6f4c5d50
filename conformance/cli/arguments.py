"""What the long-running commands (`serve`, `network`) share in parsing their options.

argparse prints usage and exits 2 on a bad option; these commands instead turn it into one
line and the project's exit code, so the parser raises `UsageError`.
"""

from __future__ import annotations

import argparse


class UsageError(Exception):
    pass


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0-65535)")
    return int(text)

"""The checker's YAML data files (catalogue, scenarios, overlay, mutant corpus), read one way.

With libyaml's parser, as PyYAML ships it on every common platform: the catalogue is read
(twice: requirements and read decisions) before a run's first request, and PyYAML's pure-Python
parser takes 32 ms of CPU for it, libyaml's 4 ms. Both build the same plain values (safe tags only).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)

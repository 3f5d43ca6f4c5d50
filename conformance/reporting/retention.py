"""Old report folders are removed so that `reports/` does not grow without bound.

Every run writes `reports/<run-id>/` (a few hundred KB each); an afternoon of runs piles up
megabytes nobody reads. After writing, only the newest `--keep-reports N` run folders stay,
plus `latest`. Only folders that are ours are touched: a run id name and a results.json
inside; anything else in the folder is left alone.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

DEFAULT_KEEP_REPORTS = 10
# 20261130T132417Z-0: the run's start (UTC) and its seed; names sort by time
RUN_FOLDER = re.compile(r"^\d{8}T\d{6}Z-\d+$")


def prune_reports(reports_dir: Path, keep: int) -> list[Path]:
    """Remove all but the newest `keep` run folders (0: keep every one); returns those removed."""
    if keep <= 0:
        return []
    runs = sorted(
        (path for path in reports_dir.iterdir() if path.is_dir() and RUN_FOLDER.match(path.name)),
        key=lambda path: (path.name.split("-")[0], path.stat().st_mtime),
    )
    removed = [path for path in runs[:-keep] if (path / "results.json").is_file()]
    for path in removed:
        shutil.rmtree(path)
    return removed

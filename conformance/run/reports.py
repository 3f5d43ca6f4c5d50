"""Step 6: the results document and its views on disk, in `<reports-dir>/<run id>/` and `latest/`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from conformance.errors import ConfigError


def write_reports(document: dict[str, Any], reports_dir: Path, keep_reports: int) -> Path:
    """Validate `document`, write results.json, junit.xml and index.html; returns the run's folder.

    Afterwards only the newest `keep_reports` run folders stay (0: all), plus `latest`.
    The views are imported here, at the end of the run: jsonschema and jinja2 need not load
    before the first request."""
    from conformance.reporting.html import write_html
    from conformance.reporting.junit import write_junit
    from conformance.reporting.retention import prune_reports
    from conformance.reporting.schema import validate_results

    validate_results(document)
    directory = reports_dir / document["run"]["id"]
    try:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "results.json").write_text(json.dumps(document, indent=2), encoding="utf-8")
        write_junit(document, directory / "junit.xml")
        write_html(document, directory / "index.html")
        latest = reports_dir / "latest"
        if latest.exists():
            shutil.rmtree(latest)
        shutil.copytree(directory, latest)
    except OSError as error:  # the folder was checked before the run; a disk can still fill up
        raise ConfigError(f"cannot write the reports to {directory}: {error.strerror or error}") from None
    prune_reports(reports_dir, keep_reports)
    return directory

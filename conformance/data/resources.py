"""Where the files the checker ships live, and where the docs they come from were published.

The committed `specs/` folder is installed as the package `conformance.specs` (see setup.py),
so a wheel and an editable install of a clone find the specs the same way: through
`importlib.resources`, never by a path relative to the repository. Every other module takes
these paths from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

try:
    SPECS = Path(str(files("conformance.specs")))
except ModuleNotFoundError as error:  # an editable install made before specs/ was mapped into the package
    raise ModuleNotFoundError(
        "conformance.specs is not installed: reinstall the package (pip install -e . in a clone)"
    ) from error
CONVERSATIONS_SPEC = SPECS / "slskd-conversations.openapi.json"
MERGED_SPEC = SPECS / "slskd-api.openapi.json"
OVERLAY = SPECS / "overlay.yaml"


@dataclass(frozen=True)
class DocsOrigin:
    """The one published source of the Markdown docs the specs are generated from."""

    repository: str
    commit: str
    folder: str
    slskd: str  # the slskd version whose Swagger output the docs were generated from

    @property
    def short(self) -> str:
        return f"{self.repository}@{self.commit[:7]}"

    def describe(self) -> str:
        return f"slskd {self.slskd} API docs: {self.folder} of github.com/{self.short}"


DOCS_ORIGIN = DocsOrigin(
    repository="crmne/slskd-python-client",
    commit="1a9c1fb927b49bd99bdee5692a3011a826d3c1ad",
    folder="docs/",
    slskd="0.17.8",
)
DOCS_VARIABLE = "SLSKD_DOCS"  # environment variable naming the docs folder (`conformance spec --docs`)

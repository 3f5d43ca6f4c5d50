"""The one packaging fact pyproject.toml cannot state: the top-level `specs/` folder ships as
the package `conformance.specs`.

`specs/` stays the committed source of truth (it sits beside the docs it is generated from);
mapping it into the package puts the same files in the wheel and, for an editable install,
lets `importlib.resources` find them in the clone, so both read them the same way.
"""

from setuptools import find_namespace_packages, setup

setup(
    packages=[*find_namespace_packages(include=["conformance*", "bench*"]), "conformance.specs"],
    package_dir={"conformance.specs": "specs"},
)

"""Build hook: the wheel carries the acceptance suite and the reference monitoring rules.

Everything else about the package is declared in pyproject.toml. The acceptance suite lives in
``tests/`` (where this repository's own pytest runs find it) and ships as ``gateproof/suite``;
the Prometheus rules and their promtool tests ship as ``gateproof/scaffold/reference/...`` for
``gateproof scaffold`` to copy into a new deployment repository. The trees are copied whole at
build time, so a test directory or rule file added later ships without touching this file.
An editable install copies nothing: :mod:`gateproof.scaffold.shipped` then finds the trees
in the checkout itself.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
# source tree in this repository -> place inside the installed gateproof package
SHIPPED_TREES = {
    "tests": "suite",
    "monitoring/prometheus/rules": "scaffold/reference/monitoring/prometheus/rules",
    "monitoring/prometheus/tests": "scaffold/reference/monitoring/prometheus/tests",
}
_SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", ".mypy_cache")


class BuildWithSuite(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        for source, target in SHIPPED_TREES.items():
            destination = Path(self.build_lib, "gateproof", target)
            if destination.exists():
                shutil.rmtree(destination)
            shutil.copytree(ROOT / source, destination, ignore=_SKIP)


setup(cmdclass={"build_py": BuildWithSuite})

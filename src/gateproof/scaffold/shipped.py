"""Where the trees gateproof ships beside its code are: the acceptance suite and the
reference monitoring rules.

A wheel carries them inside the package (setup.py copies them there at build time); an
editable install of a checkout has them in the checkout itself (``tests/``, ``monitoring/``).
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent  # .../gateproof


class NotShippedError(LookupError):
    """Neither the installed package nor a checkout holds the tree."""


def _checkout() -> Path | None:
    root = _PACKAGE.parent.parent  # src/gateproof -> the checkout
    return root if (root / "pyproject.toml").is_file() and (root / "src").is_dir() else None


def _find(installed: Path, in_checkout: str) -> Path:
    if installed.is_dir():
        return installed
    checkout = _checkout()
    if checkout is not None and (checkout / in_checkout).is_dir():
        return checkout / in_checkout
    raise NotShippedError(
        f"this gateproof installation has no {installed.relative_to(_PACKAGE.parent)} "
        f"(and is not a checkout with {in_checkout}/): reinstall it from a wheel"
    )


def suite_dir() -> Path:
    """The acceptance suite (the checklist as tests)."""
    return _find(_PACKAGE / "suite", "tests")


def reference_monitoring_dir() -> Path:
    """The reference Prometheus rules and promtool tests: ``prometheus/rules``, ``.../tests``."""
    return _find(_PACKAGE / "scaffold" / "reference" / "monitoring", "monitoring")

"""PST-01: the smoke and infrastructure checks, verified again after the warm-up, by the same
code. The test functions of ``tests/smoke`` and ``tests/integration/test_infrastructure.py``
are re-collected here under the ``postdeploy`` marker and PST-01: the same function bodies
(same code object, same fixtures), not copies, so a fix there is a fix here.

A ``destructive`` variant keeps its modifier (it still needs --gateproof-allow-destructive).
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

import pytest

from .suite_modules import load_suite_module

REVALIDATED = (
    "smoke/test_smoke.py",
    "smoke/test_deployment.py",
    "integration/test_infrastructure.py",
)
KEPT_MARKS = ("destructive", "load", "parametrize", "usefixtures", "filterwarnings")


def _again(func: Callable[..., Any], origin: str) -> Callable[..., Any]:
    """The same code as ``func`` with PST-01's markers instead of its phase and item."""
    clone = types.FunctionType(
        func.__code__, func.__globals__, func.__name__, func.__defaults__, func.__closure__
    )
    clone.__kwdefaults__ = func.__kwdefaults__
    clone.__doc__ = f"{origin} after the warm-up: {func.__doc__ or ''}".strip()
    kept = [m for m in getattr(func, "pytestmark", []) if m.name in KEPT_MARKS]
    added = [
        pytest.mark.postdeploy,
        pytest.mark.checklist("PST-01"),
        pytest.mark.usefixtures("warmup"),
    ]
    clone.pytestmark = [*kept, *(decorator.mark for decorator in added)]  # type: ignore[attr-defined]
    return clone


def _collect() -> dict[str, Callable[..., Any]]:
    found: dict[str, Callable[..., Any]] = {}
    for relative in REVALIDATED:
        module = load_suite_module(relative)
        for name, value in vars(module).items():
            if name.startswith("test_") and callable(value):
                origin = ",".join(
                    str(a) for m in getattr(value, "pytestmark", []) if m.name == "checklist"
                    for a in m.args
                )  # fmt: skip
                found[f"{name}_again"] = _again(value, origin)
    return found


globals().update(_collect())

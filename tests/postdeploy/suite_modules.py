"""Load a module of the acceptance suite by its path under ``tests/``, under a name of its
own, so its functions can be reused here without being collected twice under their ids."""

from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path

SUITE = Path(__file__).resolve().parents[1]


def load_suite_module(relative: str) -> types.ModuleType:
    name = "gateproof_suite_" + relative.replace("/", "_").removesuffix(".py")
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, SUITE / relative)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module

"""Helpers of the monitoring checks: a deadline-bound wait."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(probe: Callable[[], T], done: Callable[[T], bool], deadline_s: float) -> T:
    """Call ``probe`` until ``done`` holds or ``deadline_s`` passed; return the last result."""
    __tracebackhide__ = True
    end = time.monotonic() + deadline_s
    result = probe()
    while not done(result) and time.monotonic() < end:
        time.sleep(0.25)
        result = probe()
    return result

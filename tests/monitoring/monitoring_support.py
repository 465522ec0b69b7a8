"""Helpers of the monitoring checks: the traffic record and a deadline-bound wait."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from gateproof.probes.http import Exchange

T = TypeVar("T")


@dataclass(frozen=True)
class Traffic:
    """What ``monitoring_traffic`` sent: the model used and every exchange."""

    model: str
    exchanges: tuple[Exchange, ...]

    def describe(self) -> str:
        return "; ".join(e.summary() for e in self.exchanges)


def wait_for(probe: Callable[[], T], done: Callable[[T], bool], deadline_s: float) -> T:
    """Call ``probe`` until ``done`` holds or ``deadline_s`` passed; return the last result."""
    __tracebackhide__ = True
    end = time.monotonic() + deadline_s
    result = probe()
    while not done(result) and time.monotonic() < end:
        time.sleep(0.5)
        result = probe()
    return result

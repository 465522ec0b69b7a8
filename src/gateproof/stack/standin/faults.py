"""Fault switches and request counters of one stand-in (pure state, no I/O).

Faults, applied to every request on the provider port, in this order:
    refuse      the provider listener is closed (connection refused); handled by the server
    hang        requests are accepted and not answered until the fault is cleared
    latency_ms  every answer is delayed by this many milliseconds
    status_429  every request is answered 429 with ``retry-after: 1``
    error_rate  this share of requests (0..1) is answered 500, deterministically: request n
                fails when floor(n * rate) > floor((n - 1) * rate), so 0.25 fails every 4th
    malformed   200 with a truncated JSON body
    html        200 with an HTML page (a web server, not a model API, on the provider port)
    retry_needed  the first time a POST body is seen it is answered 500, the same body sent
                again is served: a provider that works only because the gateway retries
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from dataclasses import asdict, dataclass, replace
from typing import Any

FAULT_NAMES = (
    "refuse",
    "hang",
    "latency_ms",
    "error_rate",
    "status_429",
    "malformed",
    "html",
    "retry_needed",
)
SWITCHES = ("refuse", "hang", "status_429", "malformed", "html", "retry_needed")
MAX_LATENCY_MS = 600_000


@dataclass(frozen=True)
class Faults:
    refuse: bool = False
    hang: bool = False
    latency_ms: int = 0
    error_rate: float = 0.0
    status_429: bool = False
    malformed: bool = False
    html: bool = False
    retry_needed: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def active(self) -> list[str]:
        return [name for name, value in asdict(self).items() if value]


def _check_value(name: str, value: object) -> bool | int | float:
    if name in SWITCHES:
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be true or false, got {value!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number, got {value!r}")
    if name == "latency_ms":
        if not 0 <= value <= MAX_LATENCY_MS:
            raise ValueError(f"latency_ms must be within 0..{MAX_LATENCY_MS}, got {value}")
        return int(value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"error_rate must be within 0..1, got {value}")
    return float(value)


def updated_faults(current: Faults, update: object) -> Faults:
    """``current`` with the keys of ``update`` applied; ValueError names any bad key or value."""
    if not isinstance(update, dict):
        raise ValueError("fault update must be a JSON object")
    unknown = sorted(set(update) - set(FAULT_NAMES))
    if unknown:
        raise ValueError(f"unknown fault(s) {unknown}; known: {list(FAULT_NAMES)}")
    changes: dict[str, Any] = {name: _check_value(name, value) for name, value in update.items()}
    return replace(current, **changes)


class FaultState:
    """Current faults plus the counters the control API reports."""

    def __init__(self) -> None:
        self.faults = Faults()
        self.reset_counters()

    def reset_counters(self) -> None:
        self.total = 0
        self.paths: Counter[str] = Counter()
        self.statuses: Counter[str] = Counter()
        self.models: Counter[str] = Counter()
        self.faults_served: Counter[str] = Counter()
        self._error_rate_seen = 0
        self._bodies_seen: set[str] = set()

    def set_faults(self, faults: Faults) -> None:
        if faults.error_rate != self.faults.error_rate:
            self._error_rate_seen = 0  # a new rate starts its own sequence
        if faults.retry_needed != self.faults.retry_needed:
            self._bodies_seen.clear()  # every request fails once again from now on
        self.faults = faults

    def first_attempt(self, body: bytes) -> bool:
        """Whether ``body`` arrives for the first time (retry_needed fails it then)."""
        digest = hashlib.sha256(body).hexdigest()
        if digest in self._bodies_seen:
            return False
        self._bodies_seen.add(digest)
        return True

    def count_request(self, path: str) -> None:
        self.total += 1
        self.paths[path] += 1

    def count_status(self, status: int) -> None:
        self.statuses[str(status)] += 1

    def count_model(self, model: str) -> None:
        self.models[model] += 1

    def count_fault(self, name: str) -> None:
        self.faults_served[name] += 1

    def next_is_error(self) -> bool:
        """Whether the next request falls on the error_rate share (deterministic)."""
        rate = self.faults.error_rate
        if rate <= 0.0:
            return False
        self._error_rate_seen += 1
        n = self._error_rate_seen
        return math.floor(n * rate + 1e-9) > math.floor((n - 1) * rate + 1e-9)

    def counters(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "paths": dict(self.paths),
            "statuses": dict(self.statuses),
            "models": dict(self.models),
            "faults": dict(self.faults_served),
        }

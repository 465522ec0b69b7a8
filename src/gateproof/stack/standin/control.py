"""Typed client of a stand-in's control API (see ``control_app`` for the endpoints).

control = StandinControl("http://127.0.0.1:24210")
control.set_faults(latency_ms=300, error_rate=0.25)
control.counters()["total"]
control.clear()
"""

from __future__ import annotations

from typing import Any, TypedDict, cast

import httpx


class FaultsDict(TypedDict):
    refuse: bool
    hang: bool
    latency_ms: int
    error_rate: float
    status_429: bool
    malformed: bool
    html: bool
    retry_needed: bool


class CountersDict(TypedDict):
    total: int
    paths: dict[str, int]
    statuses: dict[str, int]
    models: dict[str, int]
    faults: dict[str, int]


class StandinControlError(RuntimeError):
    """The control API refused a request (bad fault value, port not reopenable ...)."""


class StandinControl:
    """Talks to one stand-in's control port; every call has ``timeout`` seconds."""

    def __init__(self, url: str, timeout: float = 2.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        try:
            response = httpx.request(
                method, f"{self.url}{path}", json=body, timeout=self.timeout, trust_env=False
            )
        except httpx.HTTPError as exc:
            raise StandinControlError(f"{method} {self.url}{path}: {exc}") from exc
        if response.status_code != 200:
            raise StandinControlError(
                f"{method} {self.url}{path}: {response.status_code} {response.text}"
            )
        return response.json()

    def healthz(self) -> dict[str, Any]:
        return cast(dict[str, Any], self._call("GET", "/healthz"))

    def faults(self) -> FaultsDict:
        return cast(FaultsDict, self._call("GET", "/faults"))

    def set_faults(
        self,
        *,
        refuse: bool | None = None,
        hang: bool | None = None,
        latency_ms: int | None = None,
        error_rate: float | None = None,
        status_429: bool | None = None,
        malformed: bool | None = None,
        html: bool | None = None,
        retry_needed: bool | None = None,
    ) -> FaultsDict:
        """Change the named faults only; returns every fault as it now stands."""
        given = {
            "refuse": refuse,
            "hang": hang,
            "latency_ms": latency_ms,
            "error_rate": error_rate,
            "status_429": status_429,
            "malformed": malformed,
            "html": html,
            "retry_needed": retry_needed,
        }
        update = {name: value for name, value in given.items() if value is not None}
        return cast(FaultsDict, self._call("PUT", "/faults", update))

    def clear(self) -> FaultsDict:
        return cast(FaultsDict, self._call("DELETE", "/faults"))

    def counters(self) -> CountersDict:
        return cast(CountersDict, self._call("GET", "/counters"))

    def reset_counters(self) -> CountersDict:
        return cast(CountersDict, self._call("POST", "/counters/reset"))

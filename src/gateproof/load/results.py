"""What one load run measured: per-request samples and the figures drawn from them.

Percentiles are nearest-rank over the client-side latencies (what a user waited, gateway
and network included). ``generator_cpu_percent`` is the load generator's CPU time over its
wall time, in % of one core, summed over its processes when it runs distributed (a master
and its workers). Locust runs on one core per process, so the bottleneck rule looks at each
process: one near 100 % of its core set the pace, and the figures say nothing about the
gateway.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Sample:
    start_s: float  # epoch seconds
    latency_ms: float
    status: int
    model: str

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def read_samples(path: Path) -> list[Sample]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            Sample(
                float(row["start_epoch_s"]),
                float(row["latency_ms"]),
                int(row["status"]),
                row["model"],
            )
            for row in csv.DictReader(handle)
        ]


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (``share`` in 0..1); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class GeneratorProcess:
    """One process of the generator: its name, CPU and wall seconds, requests it sent."""

    name: str  # "locust" (single process), "master", "worker 1 (host pid 123)"
    cpu_s: float
    wall_s: float
    requests: int | None = None  # None: not counted apart (single process, master)

    @property
    def cpu_percent(self) -> float:
        return 100.0 * self.cpu_s / self.wall_s if self.wall_s > 0 else math.nan

    def describe(self) -> str:
        sent = f", {self.requests} requests" if self.requests is not None else ""
        return f"{self.name} {self.cpu_percent:.0f} %{sent}"


@dataclass(frozen=True)
class LoadResult:
    asked_rps: float
    duration_s: float
    samples: list[Sample]
    generator_cpu_s: float
    wall_s: float
    users: int = 1
    # Distributed: the master and each worker (their CPU sums to generator_cpu_s); empty for
    # a single process. ``lost``: what went wrong with the generator itself (a worker that
    # died mid-run or never sent a request, one without the key).
    processes: tuple[GeneratorProcess, ...] = ()
    lost: tuple[str, ...] = ()

    @classmethod
    def of(
        cls,
        asked: float,
        duration: float,
        samples: list[Sample],
        cpu_s: float,
        wall: float,
        users: int = 1,
        processes: tuple[GeneratorProcess, ...] = (),
        lost: tuple[str, ...] = (),
    ) -> LoadResult:
        ordered = sorted(samples, key=lambda s: s.start_s)
        if processes:
            cpu_s = sum(p.cpu_s for p in processes)
        return cls(asked, duration, ordered, cpu_s, wall, users, processes, lost)

    @property
    def generator_processes(self) -> tuple[GeneratorProcess, ...]:
        """Every process of the generator (a single process is one, named "locust")."""
        return self.processes or (GeneratorProcess("locust", self.generator_cpu_s, self.wall_s),)

    @property
    def latency_bound_rps(self) -> float:
        """The rate the users could have kept if only the gateway's latency held them back.

        Each user sends one request per slot of ``users / asked`` seconds, or later when an
        answer takes longer than its slot: a few slow answers cost their users the slots they
        overran, which a mean over all answers would hide."""
        if not self.samples or self.asked_rps <= 0:
            return math.inf
        slot = self.users / self.asked_rps
        busy = sum(max(s.latency_ms / 1000.0, slot) for s in self.samples)
        return self.users * len(self.samples) / busy

    def generator_bound(self, max_cpu_percent: float, min_share: float = 0.9) -> str | None:
        """Why the generator, not the gateway, set the pace; None when it did not.

        Either a worker was lost, or one process's CPU reached the limit (of its one core),
        or it fell short of the asked rate although the gateway's latencies left room for it
        (starved of CPU on a busy host, its CPU share stays low while it still cannot keep
        up)."""
        if self.lost:
            return "; ".join(self.lost)
        hottest = max(self.generator_processes, key=lambda p: p.cpu_percent)
        if hottest.cpu_percent >= max_cpu_percent:
            who = "generator" if not self.processes else f"generator process {hottest.name}:"
            return (
                f"{who} CPU {hottest.cpu_percent:.0f} % of one core (limit {max_cpu_percent:g} %)"
            )
        short = self.achieved_rps < min_share * self.asked_rps
        if short and self.latency_bound_rps >= min_share * self.asked_rps:
            return (
                f"achieved {self.achieved_rps:.1f} of {self.asked_rps:g} req/s while the "
                f"gateway's latencies left room for {self.latency_bound_rps:.1f} req/s from "
                f"{self.users} users"
            )
        return None

    @property
    def requests(self) -> int:
        return len(self.samples)

    @property
    def errors(self) -> int:
        return sum(1 for s in self.samples if not s.ok)

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else math.nan

    @property
    def span_s(self) -> float:
        """From the first request's start to the last one's end."""
        if not self.samples:
            return 0.0
        end = max(s.start_s + s.latency_ms / 1000.0 for s in self.samples)
        return max(end - self.samples[0].start_s, 1e-9)

    @property
    def achieved_rps(self) -> float:
        return self.requests / self.span_s if self.samples else 0.0

    def latency_s(self, share: float) -> float:
        return percentile([s.latency_ms for s in self.samples], share) / 1000.0

    @property
    def generator_cpu_percent(self) -> float:
        return 100.0 * self.generator_cpu_s / self.wall_s if self.wall_s > 0 else math.nan

    def statuses(self) -> dict[int, int]:
        counts: dict[int, int] = {}
        for sample in self.samples:
            counts[sample.status] = counts.get(sample.status, 0) + 1
        return dict(sorted(counts.items()))

    def summary(self) -> str:
        return (
            f"{self.requests} requests in {self.span_s:.1f} s: {self.achieved_rps:.1f} req/s "
            f"(asked {self.asked_rps:g}); p50 {self.latency_s(0.5):.3f} s, "
            f"p95 {self.latency_s(0.95):.3f} s, p99 {self.latency_s(0.99):.3f} s; "
            f"errors {self.errors} ({100 * self.error_rate:.2f} %, statuses {self.statuses()}); "
            f"generator CPU {self.generator_cpu_percent:.0f} % of one core{self._spread()}"
        )

    def _spread(self) -> str:
        if not self.processes:
            return ""
        each = ", ".join(p.describe() for p in self.processes)
        lost = f"; {'; '.join(self.lost)}" if self.lost else ""
        return f" summed over {len(self.processes)} processes ({each}){lost}"

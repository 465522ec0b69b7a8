"""The failure budget of a watch, in the manner of an analysis run: each round is a success,
a failure or inconclusive; too many failures (in a row or in all) turn the watch red."""

from __future__ import annotations

from dataclasses import dataclass, field

from gateproof.record import PASSING_VERDICTS

SUCCESS, FAILURE, INCONCLUSIVE = "success", "failure", "inconclusive"
# What an inconclusive round (INCOMPLETE verdict, or no record at all) counts as.
INCONCLUSIVE_AS = ("failure", "success", "ignore")


def classify(verdict: str | None) -> str:
    """A round's verdict as the budget sees it; a round that left no record is inconclusive."""
    if verdict in PASSING_VERDICTS:
        return SUCCESS
    if verdict == "RED":
        return FAILURE
    return INCONCLUSIVE


@dataclass(frozen=True)
class Budget:
    max_failures: int = 1  # failures in all that turn the watch red
    max_consecutive: int | None = None  # failures in a row that turn it red (None: off)
    inconclusive_as: str = "failure"

    def __post_init__(self) -> None:
        if self.max_failures < 1 or (self.max_consecutive is not None and self.max_consecutive < 1):
            raise ValueError("failure limits must be at least 1")
        if self.inconclusive_as not in INCONCLUSIVE_AS:
            raise ValueError(f"inconclusive counts as one of {', '.join(INCONCLUSIVE_AS)}")

    def describe(self) -> str:
        parts = [f"red after {self.max_failures} failed round(s) in all"]
        if self.max_consecutive is not None:
            parts.append(f"or {self.max_consecutive} in a row")
        parts.append(f"an inconclusive round counts as {self.inconclusive_as}")
        return ", ".join(parts)


@dataclass
class Tally:
    budget: Budget
    failures: int = 0
    consecutive: int = 0
    successes: int = 0
    inconclusive: int = 0
    counted: list[str] = field(default_factory=list)  # per round: what it counted as

    def add(self, kind: str) -> str:
        """Count one round; returns what it counted as (success / failure / ignored)."""
        if kind == INCONCLUSIVE:
            self.inconclusive += 1
            kind = {"failure": FAILURE, "success": SUCCESS}.get(self.budget.inconclusive_as, "")
        if kind == FAILURE:
            self.failures += 1
            self.consecutive += 1
        elif kind == SUCCESS:
            self.successes += 1
            self.consecutive = 0
        counted = kind or "ignored"
        self.counted.append(counted)
        return counted

    @property
    def exhausted(self) -> bool:
        if self.failures >= self.budget.max_failures:
            return True
        limit = self.budget.max_consecutive
        return limit is not None and self.consecutive >= limit

    def why_red(self) -> str:
        limit = self.budget.max_consecutive
        if limit is not None and self.consecutive >= limit:
            return f"{self.consecutive} failed round(s) in a row (limit {limit})"
        return f"{self.failures} failed round(s) (limit {self.budget.max_failures})"

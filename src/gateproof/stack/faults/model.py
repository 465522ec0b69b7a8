"""What one fault of the matrix is, and what an injection gets to act on."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

from gateproof.stack.testing import ReferenceStack

CATEGORIES = (
    "config",
    "providers",
    "gateway",
    "cache",
    "rate limits",
    "deploy steps",
    "monitoring",
    "alerting",
    "hosts",
)
EVERY_PHASE = "predeploy or smoke or postdeploy or monitoring"


@dataclass
class Scene:
    """What an injection acts on: the running stack and a scratch folder of this fault.

    ``args`` collects extra options of the inner run that only exist once the fault is in
    place (a second gateway's URL, a config copy's folder): what an operator would point the
    gate at, never a change of what the checks decide."""

    stack: ReferenceStack
    work: Path
    args: list[str] = field(default_factory=list)
    settings: Path | None = None  # a settings copy to run with instead of the stack's


Inject = Callable[[Scene], AbstractContextManager[None]]


@dataclass(frozen=True)
class Fault:
    """One row of the matrix: inject, run ``marker`` (with ``args``), expect ``expected`` red.

    ``paths`` narrows the inner run to some acceptance test files (the static config checks
    of a config copy); ``settle_s`` is what the stack needs after the undo before it is
    checked (LiteLLM's cooldown of a failed deployment is waited out by the health check)."""

    name: str
    category: str
    expected: frozenset[str]
    marker: str
    inject: Inject
    about: str
    args: tuple[str, ...] = ()
    paths: tuple[str, ...] = ("tests",)
    destructive: bool = False
    settle_s: float = 0.0

    @property
    def selection(self) -> str:
        """What the inner run selects, as shown in the table."""
        shown = f"-m {self.marker}" if " " not in self.marker else f"-m '{self.marker}'"
        if "-k" in self.args:
            shown += f" -k {self.args[self.args.index('-k') + 1]}"
        if self.paths != ("tests",):
            shown += " " + " ".join(p.rsplit("/", 1)[-1] for p in self.paths)
        return shown + (" destructive" if self.destructive else "")

    def argv_options(self) -> list[str]:
        extra = ["--gateproof-allow-destructive"] if self.destructive else []
        return [*extra, *self.args]


def fault(
    name: str,
    category: str,
    expected: set[str] | frozenset[str],
    marker: str,
    inject: Inject,
    about: str,
    **more: object,
) -> Fault:
    """A Fault with the expected set frozen (keeps the catalogue short to read)."""
    return Fault(name, category, frozenset(expected), marker, inject, about, **more)  # type: ignore[arg-type]

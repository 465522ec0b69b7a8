"""Progress for the long waits (building the LiteLLM venv, starting the stack, restarting the
gateway): one line when a wait goes past a few seconds, then one every few seconds saying what
is awaited, how long it has taken and the deadline."""

from __future__ import annotations

import time
from collections.abc import Callable

FIRST_NOTE_S = 5.0  # quiet below this: short waits print nothing
EVERY_S = 10.0


class Waiter:
    def __init__(
        self,
        what: str,
        deadline_s: float | None,
        say: Callable[[str], None],
        first_s: float | None = None,
        every_s: float | None = None,
    ) -> None:
        self.what, self.deadline_s, self.say = what, deadline_s, say
        self.began = time.monotonic()
        self.next_note = self.began + (FIRST_NOTE_S if first_s is None else first_s)
        self.every_s = EVERY_S if every_s is None else every_s

    def elapsed(self) -> float:
        return time.monotonic() - self.began

    def expired(self) -> bool:
        return self.deadline_s is not None and self.elapsed() > self.deadline_s

    def tick(self, detail: str = "") -> None:
        """Call while waiting: says where the wait is when a note is due."""
        now = time.monotonic()
        if now < self.next_note:
            return
        self.next_note = now + self.every_s
        of = f" of {self.deadline_s:.0f} s allowed" if self.deadline_s else ""
        more = f" ({detail})" if detail else ""
        self.say(f"  waiting for {self.what}: {self.elapsed():.0f} s{of}{more}")

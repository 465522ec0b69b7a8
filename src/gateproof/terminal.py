"""A line to the terminal from inside a running test or fixture, past pytest's capture.

Used for long waits (the warm-up) so the operator sees what is awaited. On the controller the
line goes through the terminal reporter with capture suspended (as pytest's live logging does);
on an xdist worker, whose own output is not shown, to the process's real stderr, which the
worker inherits from the controller's terminal.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import pytest


def live_writer(config: pytest.Config) -> Callable[[str], None]:
    """A function printing one line to the terminal now (not into the test's captured output)."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if hasattr(config, "workerinput") or reporter is None:
        return _to_stderr

    def say(line: str) -> None:
        if capture is None:
            reporter.write_line(line)
            return
        with capture.global_and_fixture_disabled():
            reporter.ensure_newline()
            reporter.write_line(line)

    return say


def _to_stderr(line: str) -> None:
    stream = sys.__stderr__
    if stream is not None:
        stream.write(line + "\n")
        stream.flush()

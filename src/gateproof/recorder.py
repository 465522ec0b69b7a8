"""The controller-side plugin object that folds reports into the run record and ends the run."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from gateproof import outcome, report_files
from gateproof.stashkeys import RECORD_KEY, WAIVERS_KEY


class Recorder:
    """Registered on the controller only (never on an xdist worker)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.record = config.stash[RECORD_KEY]

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        result = outcome.result_from(report)
        if result is not None:
            self.record.add(result)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        record = self.record
        if not record.results:
            return  # no acceptance test ran: nothing to decide
        record.finished = dt.datetime.now().astimezone()
        if session.exitstatus == pytest.ExitCode.INTERRUPTED:
            # Ctrl-C or a collection error: what did run may be green, the run as a whole
            # is not a verdict on the deployment.
            record.problems.append("the run was interrupted: not every selected check ran")
        today = dt.date.today()
        for waiver in self.config.stash[WAIVERS_KEY]:
            if waiver.expired(today):
                record.problems.append(
                    f"expired waiver {waiver.where}: {waiver.id} expired {waiver.expires} "
                    f"(approved by {waiver.approver}); renew or remove it"
                )
        report_files.write_if_asked(self.config, record)
        if record.verdict() == "RED" and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.record.results:
            report_files.print_summary(terminalreporter, self.config, self.record)

"""The plugin objects that keep the run record and end the run with its verdict.

``CollectionNotes`` runs on every process: it notes each collected acceptance test, selected or
deselected (an xdist worker sends its notes home in ``workeroutput``). ``Recorder`` runs on the
controller only: it folds reports into the record and, at the end of the session, decides.

Hook ordering at the end of the session (``Recorder.pytest_sessionfinish`` is the innermost
wrapper): decide and write the record; pytest-html writes the report (its summary hook reads the
decision) and junitxml the XML; then REL-01 is decided from the HTML file really on disk, the
JUnit file gets the verdict, and the terminal summary (printed last) shows the final decision.
"""

from __future__ import annotations

import datetime as dt
import os
import traceback
import uuid
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from gateproof import latency_picture, outcome, report_files
from gateproof.markers import checklist_ids_of, phases_of
from gateproof.record import PASSING_VERDICTS, VERDICT_TEXT, CollectedTest, RunRecord
from gateproof.scope import deselection_reason, run_scope
from gateproof.stashkeys import RECORD_KEY, REDACTOR_KEY, SETTINGS_KEY, WAIVERS_KEY
from gateproof.verdict import Artefact, decide

DATA_KEY = pytest.StashKey[dict[str, Any]]()  # the decided record dict, for the HTML hooks
RUN_ID_KEY = pytest.StashKey[str]()  # marks this run's HTML report (REL-01 proof)
_WIRE = "gateproof_collected"


def install(config: pytest.Config) -> None:
    """Register the record keepers (and the HTML hooks when pytest-html is active)."""
    is_worker = hasattr(config, "workerinput")
    record = None if is_worker else RunRecord(started=dt.datetime.now().astimezone())
    config.pluginmanager.register(CollectionNotes(config, record), "gateproof-collection")
    if record is None:
        return
    config.stash[RECORD_KEY] = record
    config.stash[RUN_ID_KEY] = uuid.uuid4().hex
    report_files.add_environment(config, config.stash[SETTINGS_KEY], config.stash[REDACTOR_KEY])
    config.pluginmanager.register(Recorder(config), "gateproof-recorder")
    if config.pluginmanager.hasplugin("html"):
        from gateproof import html_columns, html_summary

        config.pluginmanager.register(html_columns, "gateproof-html")
        config.pluginmanager.register(html_summary.HtmlSummary(config), "gateproof-html-summary")


class CollectionNotes:
    def __init__(self, config: pytest.Config, record: RunRecord | None) -> None:
        self.config = config
        self.record = record
        self.notes: dict[str, CollectedTest] = {}

    def _note(self, item: pytest.Item, deselected: str | None) -> None:
        phases = phases_of(item)
        if not phases and item.get_closest_marker("checklist") is None:
            return  # not an acceptance test
        test = CollectedTest(
            item.nodeid,
            phases[0] if phases else None,
            checklist_ids_of(item),
            outcome.variant_of(item),
            deselected,
        )
        self.notes[item.nodeid] = test
        if self.record is not None:
            self.record.note_collected(test)

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        markexpr = str(self.config.option.markexpr or "")
        keyword = str(self.config.option.keyword or "")
        for item in items:
            self._note(item, deselection_reason(item, markexpr, keyword))

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        for item in session.items:
            self._note(item, None)
        workeroutput = getattr(self.config, "workeroutput", None)
        if workeroutput is not None:
            workeroutput[_WIRE] = [t.to_wire() for t in self.notes.values()]

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        if self.record is None:
            return
        for raw in getattr(node, "workeroutput", {}).get(_WIRE, []):
            self.record.note_collected(CollectedTest.from_wire(raw))


class Recorder:
    """Registered on the controller only (never on an xdist worker)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.record = config.stash[RECORD_KEY]
        self.artefacts: dict[str, Artefact] = {}
        self.outputs: dict[str, str | None] = {}
        self.record_written = False
        self.html = _html_path(config)  # resolved as pytest-html does, at configure time
        self.latency_svg: tuple[str, str] | None = None  # (nodeid, SVG) of PST-05's warm-up
        self.latency_block: dict[str, str] | None = None  # what record.json says of it

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        picture = getattr(report, latency_picture.REPORT_ATTR, None)
        if isinstance(picture, str):
            self.latency_svg = (report.nodeid, picture)
        result = outcome.result_from(report)
        if result is not None:
            self.record.add(result)

    def _active(self) -> bool:
        option = self.config.option
        if any(getattr(option, name, False) for name in ("collectonly", "setuponly", "setupplan")):
            return False  # nothing is checked: no verdict to give
        record = self.record
        return bool(record.collected or record.results or report_files.record_dir(self.config))

    @pytest.hookimpl(wrapper=True, trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> Generator[None, None, None]:
        active = self._active()
        if active:
            self._decide_and_write(session)
        try:
            yield
        except OSError as exc:
            # pytest-html failing to write its file is REL-01's failure, told by the verdict;
            # anything else is not ours to swallow.
            html = self.html
            if not active or html is None or html.is_file() or not _raised_by_pytest_html(exc):
                raise
            failed = f"pytest-html could not write {html}: {exc}"
            self.artefacts["REL-01"] = ("failed", failed, True)
        if active:
            self._after_reports(session)

    def _decide_and_write(self, session: pytest.Session) -> None:
        record, config = self.record, self.config
        record.finished = dt.datetime.now().astimezone()
        if session.exitstatus == pytest.ExitCode.INTERRUPTED:
            # Ctrl-C or a collection error: what did run may be green, the run is no verdict.
            record.problems.append(
                "the run was interrupted (Ctrl-C, or a test file failed to collect): "
                "not every selected check ran"
            )
        today = dt.date.today()
        for waiver in config.stash[WAIVERS_KEY]:
            if waiver.expired(today):
                record.problems.append(
                    f"expired waiver {waiver.where}: {waiver.id} expired {waiver.expires} "
                    f"(approved by {waiver.approver}); renew or remove it"
                )
        html = self.html
        self.outputs = {"record": None, "html": str(html) if html else None}
        self.outputs["junit"] = str(_junit_path(config) or "") or None
        self.artefacts["REL-01"] = (
            ("passed", f"HTML report written to {html}", True)
            if html is not None
            else ("out_of_scope", "no HTML report asked for (--html FILE)", False)
        )
        directory = report_files.record_dir(config)
        self.artefacts["DOC-01"] = _doc01_before_writing(config, directory)
        if directory is None:
            self._store()
            return
        self.outputs["record"] = str(directory)
        if self.latency_svg is not None:
            self.latency_block = report_files.write_latency_svg(config, directory,
                                                                *self.latency_svg)  # fmt: skip
        problem = report_files.write_record(config, directory, self._store())
        if problem is None:
            self.record_written = True
            return
        self.outputs["record"] = None
        self.artefacts["DOC-01"] = (
            "failed",
            f"the record was asked for and not written: {problem}; "
            "give --gateproof-record a writable directory",
            True,
        )
        self._store()

    def _after_reports(self, session: pytest.Session) -> None:
        config = self.config
        html = self.html
        if html is not None and self.artefacts["REL-01"][0] == "passed":
            shown = config.stash[DATA_KEY]["verdict"]  # what the HTML hooks rendered
            problem = _html_problem(html, config.stash[RUN_ID_KEY], VERDICT_TEXT[shown])
            if problem is not None:
                self.artefacts["REL-01"] = ("failed", problem, True)
        data = self._store()
        if self.artefacts["REL-01"][0] == "failed" and self.record_written:
            directory = report_files.record_dir(config)
            assert directory is not None
            report_files.write_record(config, directory, data)
        junit = _junit_path(config)
        if junit is not None and junit.is_file():
            from gateproof.junit_verdict import add_verdict

            add_verdict(junit, data, config.stash[REDACTOR_KEY])
        if data["verdict"] not in PASSING_VERDICTS and session.exitstatus in (
            pytest.ExitCode.OK,
            pytest.ExitCode.NO_TESTS_COLLECTED,
        ):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def _store(self) -> dict[str, Any]:
        """Decide from what is known now; keep the dict where the other outputs read it."""
        record, config = self.record, self.config
        phases, how = run_scope(
            str(config.option.markexpr or ""),
            record.collected_phases(),
            record.selected_test_phases(),
        )
        decision = decide(
            record, phases, how, config.stash[WAIVERS_KEY], dt.date.today(), self.artefacts
        )
        data = report_files.record_dict(config, record, decision, dict(self.outputs))
        data["latency_picture"] = self.latency_block
        config.stash[DATA_KEY] = data
        return data

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        data = self.config.stash.get(DATA_KEY, None)
        if data is not None:
            from gateproof.verdict_text import print_summary

            print_summary(terminalreporter, data)


def _doc01_before_writing(config: pytest.Config, directory: Path | None) -> Artefact:
    if directory is None:
        return ("out_of_scope", "no record asked for (--gateproof-record DIR)", False)
    sign = report_files.signoff(config.stash[SETTINGS_KEY])
    deployer, verifier = sign["deployer"], sign["verifier"]
    if deployer and verifier:
        signed = f"record written to {directory}, signed off by {deployer} and {verifier}"
        return ("passed", signed, True)
    if not deployer and not verifier:
        return (
            "out_of_scope",
            "record written without sign-off "
            "(--gateproof-signoff-deployer and --gateproof-signoff-verifier sign it off)",
            False,
        )
    missing = (
        "verifier (--gateproof-signoff-verifier)"
        if deployer
        else "deployer (--gateproof-signoff-deployer)"
    )
    return ("not_run", f"record written; sign-off missing: {missing}", True)


def _raised_by_pytest_html(exc: BaseException) -> bool:
    frames = traceback.extract_tb(exc.__traceback__)
    return any(f"{os.sep}pytest_html{os.sep}" in frame.filename for frame in frames)


def _html_path(config: pytest.Config) -> Path | None:
    given = config.getoption("htmlpath", None)
    if not given:
        return None
    # pytest-html's own resolution of --html (relative to the working directory).
    return Path.cwd() / Path(os.path.expandvars(str(given))).expanduser()


def _junit_path(config: pytest.Config) -> Path | None:
    given = getattr(config.option, "xmlpath", None)
    if not given:
        return None
    return Path(os.path.normpath(os.path.abspath(os.path.expanduser(os.path.expandvars(given)))))


def _html_problem(html: Path, run_id: str, verdict: str) -> str | None:
    """Why the HTML report on disk is not this run's report with its verdict, or None."""
    try:
        text = html.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return f"{html} was asked for (--html) but is not on disk after pytest-html wrote it"
    except OSError as exc:
        return f"{html} cannot be read back: {exc.strerror or exc}"
    if f'data-gateproof-run="{run_id}"' not in text or f">Verdict: {verdict}</h2>" not in text:
        return f"{html} does not carry this run's verdict (not written by this run, or rewritten)"
    return None


__all__ = ["DATA_KEY", "CollectionNotes", "Recorder", "install"]

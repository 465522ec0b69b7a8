"""From a pytest report to a gateproof test outcome, on the process that ran the test.

Runs inside ``pytest_runtest_makereport`` (so on an xdist worker when ``-n`` is used): the
decision travels to the controller in ``report.user_properties``, which xdist serialises.
Also applies waivers and masks secrets before the report leaves the process.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from gateproof.checklist import MODIFIERS
from gateproof.errors import ProbeError
from gateproof.evidence import Evidence, Redactor
from gateproof.markers import checklist_ids_of, phases_of
from gateproof.record import TestResult, rank
from gateproof.waivers import Waiver, find_waiver

PROP_PHASE = "gateproof_phase"
PROP_CHECKLIST = "gateproof_checklist"
PROP_OUTCOME = "gateproof_outcome"
PROP_MESSAGE = "gateproof_message"
PROP_EVIDENCE = "gateproof_evidence"
PROP_VARIANT = "gateproof_variant"
WAIVED_PREFIX = "waived: "
_WORST_KEY = pytest.StashKey[tuple[str, str]]()


def annotate(
    item: pytest.Item,
    call: pytest.CallInfo[None],
    report: pytest.TestReport,
    waivers: list[Waiver],
    redact: Redactor,
    evidence: Evidence | None,
) -> None:
    """Decide the outcome of one phase (setup/call/teardown) of one acceptance test."""
    ids = checklist_ids_of(item)
    phases = phases_of(item)
    outcome, message = _classify(call, report)
    if call.excinfo is not None and call.excinfo.errisinstance(ProbeError):
        # "Could not check": the probe's message names target, setting and what to do; a
        # traceback through gateproof's own frames would only bury it.
        message = f"{', '.join(ids)} could not check: {call.excinfo.value}"
        report.longrepr = message
    if outcome in ("failed", "error"):
        waiver = find_waiver(waivers, item.nodeid, ids, dt.date.today())
        if waiver is not None:
            outcome = "waived"
            report.outcome = "skipped"
            report.wasxfail = WAIVED_PREFIX + waiver.describe()
            message = f"{report.wasxfail}\n{message}"  # the waiver first: it decides the item
    if outcome == "passed" and evidence is not None:
        # A pass the settings allowed despite trouble (e.g. gateway.allow_retries) says so.
        warnings = [text for label, text in evidence.entries if label == "warning"]
        message = "passed with warning: " + "; ".join(warnings) if warnings else message
    # Each phase's report carries the test's worst outcome so far: junitxml and pytest-html
    # read the properties of the teardown report, which alone would say "passed".
    # A clean setup or teardown says nothing about the check, so it never replaces an outcome.
    shown = item.stash.get(_WORST_KEY, None)
    says_something = not (report.passed and report.when != "call")
    if shown is None or (says_something and rank(outcome) <= rank(shown[0])):
        shown = (outcome, message)
        if says_something:
            item.stash[_WORST_KEY] = shown
    _redact_report(report, redact)
    props = report.user_properties
    props.append((PROP_PHASE, phases[0] if phases else ""))
    props.append((PROP_CHECKLIST, ",".join(ids)))
    props.append((PROP_OUTCOME, shown[0]))
    props.append((PROP_MESSAGE, redact(shown[1])))
    variant = variant_of(item)
    if variant:
        props.append((PROP_VARIANT, variant))
    if evidence is not None and evidence.entries and outcome in ("failed", "error", "waived"):
        text = redact(evidence.render())
        props.append((PROP_EVIDENCE, text))
        report.sections.append(("gateproof evidence", text))  # terminal and HTML log
        _attach_html_extra(report, text)


def variant_of(item: pytest.Item) -> str | None:
    """The modifier that makes this test one gated-off way of checking its item, if any."""
    for name in MODIFIERS:
        if item.get_closest_marker(name) is not None:
            return name
    return None


def _classify(call: pytest.CallInfo[None], report: pytest.TestReport) -> tuple[str, str]:
    if report.passed:
        return "passed", ""
    if report.skipped:
        reason = _skip_reason(report)
        if getattr(report, "wasxfail", None) is not None:
            return "not_run", f"xfail: {report.wasxfail}"
        if reason.startswith("N/A"):
            return "not_applicable", reason
        return "not_run", reason
    message = ""
    if call.excinfo is not None:
        message = call.excinfo.exconly()
        if call.excinfo.errisinstance(ProbeError) or report.when != "call":
            return "error", message
    return "failed", message


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        reason = str(longrepr[2])
        return reason.removeprefix("Skipped: ")
    return str(longrepr or "")


def _redact_report(report: pytest.TestReport, redact: Redactor) -> None:
    if not redact:
        return
    if report.longrepr is not None and not isinstance(report.longrepr, tuple):
        text = str(report.longrepr)
        cleaned = redact(text)
        if cleaned != text:
            report.longrepr = cleaned
    report.sections = [(title, redact(content)) for title, content in report.sections]
    report.user_properties = [
        (name, redact(value) if isinstance(value, str) else value)
        for name, value in report.user_properties
    ]


def _attach_html_extra(report: pytest.TestReport, text: str) -> None:
    try:
        from pytest_html import extras
    except ImportError:
        return
    current: list[Any] = list(getattr(report, "extras", []))
    current.append(extras.text(text, name="evidence"))
    report.extras = current  # type: ignore[attr-defined]


def result_from(report: pytest.TestReport) -> TestResult | None:
    """The gateproof result carried by a (possibly deserialised) report, if it is ours."""
    props = dict(report.user_properties)
    if PROP_CHECKLIST not in props:
        return None
    if report.passed and report.when != "call":
        return None  # a clean setup or teardown says nothing about the check itself
    ids = [i for i in str(props[PROP_CHECKLIST]).split(",") if i]
    return TestResult(
        nodeid=report.nodeid,
        phase=str(props.get(PROP_PHASE) or "") or None,
        checklist=ids,
        outcome=str(props.get(PROP_OUTCOME, "error")),
        message=str(props.get(PROP_MESSAGE, "")),
        variant=str(props[PROP_VARIANT]) if PROP_VARIANT in props else None,
    )


def dumps(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=False, default=str) + "\n"

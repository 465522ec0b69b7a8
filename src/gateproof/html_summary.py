"""pytest-html: the report a release manager reads opens with the verdict.

Title: the deployment (name, environment) and the verdict. Summary: the verdict and its reason,
the items not run with why, the item rollup by phase (every outcome distinct, with its reason),
then waivers, run problems and sign-off. Registered on the controller only, when pytest-html
is active; it renders the record dict the recorder decided (``DATA_KEY``), nothing of its own.
"""

from __future__ import annotations

from html import escape
from typing import Any

import pytest

from gateproof.checklist import PHASES
from gateproof.record import VERDICT_TEXT
from gateproof.stashkeys import REDACTOR_KEY, SETTINGS_KEY
from gateproof.verdict_text import LABEL, READY, counts_text, scope_line

_COLOUR = {"GREEN": "#1a7f37", "GREEN_WITH_WAIVERS": "#9a6700", "INCOMPLETE": "#bc4c00"}
_RED = "#cf222e"


class HtmlSummary:
    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.report: Any = None  # pytest-html's report data; its title is rendered at the end

    def pytest_html_report_title(self, report: Any) -> None:
        self.report = report
        report.title = self._deployment()

    def _deployment(self) -> str:
        deployment = self.config.stash[SETTINGS_KEY].deployment
        return f"gateproof: {deployment.name} ({deployment.environment})"

    def pytest_html_results_summary(
        self, prefix: list[str], summary: list[str], postfix: list[str], session: Any
    ) -> None:
        from gateproof.recorder import DATA_KEY, RUN_ID_KEY

        data = self.config.stash.get(DATA_KEY, None)
        if data is None:
            return
        text = VERDICT_TEXT[data["verdict"]]
        if self.report is not None:
            self.report.title = f"{self._deployment()}: {text}"
        self._verdict_first_in_environment(f"{text} ({data['verdict_reason']})")
        redact = self.config.stash[REDACTOR_KEY]  # messages are masked already; belt and braces
        prefix.insert(0, redact(_verdict_block(data, self.config.stash[RUN_ID_KEY])))
        summary.append(redact(_rollup(data)))
        postfix.append(redact(_waivers_and_signoff(data)))

    def _verdict_first_in_environment(self, verdict: str) -> None:
        """The environment table (rendered above the summary) starts with the verdict too."""
        try:
            from pytest_metadata.plugin import metadata_key
        except ImportError:
            return
        metadata = self.config.stash.get(metadata_key, None)
        if metadata is None:
            return
        rest = dict(metadata)
        metadata.clear()  # the same dict pytest-html holds: reorder it in place
        metadata["gateproof verdict"] = verdict
        metadata.update(rest)


def _verdict_block(data: dict[str, Any], run_id: str) -> str:
    verdict = data["verdict"]
    colour = _COLOUR.get(verdict, _RED)
    lines = [
        f'<div class="gateproof-verdict" data-gateproof-run="{run_id}" '
        f'style="border: 3px solid {colour}; padding: 0.5em 1em; margin: 0.5em 0">',
        f'<h2 style="color: {colour}">Verdict: {escape(VERDICT_TEXT[verdict])}</h2>',
        f"<p>{escape(data['verdict_reason'])}</p>",
        f"<p>{escape(scope_line(data))}; run {escape(data['started'])} to "
        f"{escape(data['finished'])}</p>",
    ]
    if data["not_run"]:
        lines.append(f"<h3>Not run ({len(data['not_run'])})</h3><ul>")
        lines += [
            f"<li><b>{escape(n['id'])}</b> {escape(n['title'])}: {escape(n['reason'])}</li>"
            for n in data["not_run"]
        ]
        lines.append("</ul>")
    if data["problems"]:
        lines.append("<h3>Problems</h3><ul>")
        lines += [f"<li>{escape(p)}</li>" for p in data["problems"]]
        lines.append("</ul>")
    lines.append("</div>")
    return "\n".join(lines)


def _rollup(data: dict[str, Any]) -> str:
    """Per phase: counts by outcome, then one row per item with its outcome and reason."""
    out = ['<div class="gateproof-rollup"><h2>Checklist items by phase</h2>']
    phases = [p for p in (*PHASES, "none") if p in data["rollup"]]
    for phase in phases:
        counts = data["rollup"][phase]
        shown = counts_text(counts)
        title = phase if phase != "none" else "documentation, sign-off and rollback"
        out.append(f"<h3>{escape(title)}: {escape(shown)}</h3>")
        out.append(
            '<table class="gateproof-items"><tr><th>Item</th><th>Title</th>'
            "<th>Outcome</th><th>Reason</th><th>Tests</th></tr>"
        )
        for item_id, entry in data["items"].items():
            if (entry["phase"] or "none") != phase:
                continue
            out.append(
                f'<tr class="gateproof-{entry["outcome"]}"><td>{escape(item_id)}</td>'
                f"<td>{escape(entry['title'])}</td><td>{escape(LABEL[entry['outcome']])}</td>"
                f"<td>{escape(entry['reason'])}</td><td>{len(entry['tests'])}</td></tr>"
            )
        out.append("</table>")
    out.append("</div>")
    return "\n".join(out)


def _waivers_and_signoff(data: dict[str, Any]) -> str:
    out = ['<div class="gateproof-signoff"><h2>Waivers</h2>']
    if data["waivers"]:
        out.append(
            "<table><tr><th>Waiver</th><th>Reason</th><th>Approver</th><th>Expires</th></tr>"
        )
        out += [
            f"<tr><td>{escape(w['id'])}</td><td>{escape(w['reason'])}</td>"
            f"<td>{escape(w['approver'])}</td><td>{escape(w['expires'])}</td></tr>"
            for w in data["waivers"]
        ]
        out.append("</table>")
    else:
        out.append("<p>none</p>")
    sign, deployment = data["signoff"], data["deployment"]
    blank = "(not signed)"
    out += [
        "<h2>Sign-off</h2><table>",
        f"<tr><td>Deployment completed by</td><td>{escape(sign['deployer'] or blank)}</td></tr>",
        f"<tr><td>Verified by</td><td>{escape(sign['verifier'] or blank)}</td></tr>",
        f"<tr><td>Version deployed</td><td>config {escape(str(deployment['config_version']))}, "
        f"git {escape(str(deployment['git_revision']))}</td></tr>",
        f"<tr><td>Production-ready</td><td>{READY[data['verdict']]}</td></tr>",
        "</table></div>",
    ]
    return "\n".join(out)

"""The release's HTML report: one self-contained file (inline CSS, no script, no network),
verdict first, then the phases with their times, the rollbacks, the item rollup, evidence,
waivers, the latency picture (an inline, sanitised SVG) and the sign-off. Every value is
escaped; the records it renders are already masked."""

from __future__ import annotations

from html import escape
from typing import Any

from gateproof.checklist import PHASES
from gateproof.record import VERDICT_TEXT
from gateproof.verdict_text import LABEL, READY, counts_text

_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:70em;color:#222}
h1{font-size:1.5em} h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.5em 0} td,th{border:1px solid #ccc;padding:.25em .5em;
text-align:left;vertical-align:top} pre{background:#f6f6f6;padding:.5em;white-space:pre-wrap}
.v-GREEN{background:#d8f5d8} .v-GREEN_WITH_WAIVERS{background:#fff3c4}
.v-INCOMPLETE{background:#ffe0b2} .v-RED{background:#f8d0d0}
.gateproof-verdict{padding:1em;border:2px solid #888;margin-bottom:1em}
.o-failed,.o-error{color:#a00;font-weight:bold} .o-not_run{color:#b60} .o-waived{color:#860}
"""
_EVIDENCE_OUTCOMES = ("failed", "error", "waived")


def release_marker(release_id: str) -> str:
    return f'data-gateproof-release="{escape(release_id)}"'


def _e(value: object) -> str:
    return escape("" if value is None else str(value))


def render_html(data: dict[str, Any], release_id: str, latency_svg: str | None = None) -> str:
    """``latency_svg``: PST-05's picture, already sanitised (no script, no external link)."""
    deployment = data["deployment"]
    title = (
        f"gateproof release: {deployment.get('name')} ({deployment.get('environment')}): "
        f"{VERDICT_TEXT[data['verdict']]}"
    )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        _verdict(data, release_id),
        _phases(data),
        _rollbacks(data),
        _rollup(data),
        _evidence(data),
        _waivers(data),
        _latency(data, latency_svg),
        _signoff(data),
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p) + "\n"


def _verdict(data: dict[str, Any], release_id: str) -> str:
    verdict = data["verdict"]
    deployment = data["deployment"]
    rows = [
        ("Deployment", f"{deployment.get('name')} ({deployment.get('environment')})"),
        ("Gateway", deployment.get("gateway_url")),
        ("Config version", data["release"]["final_version"]),
        ("Git revision", deployment.get("git_revision") or "unknown"),
        ("Scope", f"{', '.join(data['scope']['phases'])} ({data['scope']['how']})"),
        ("From / to", f"{data['started']} to {data['finished']}"),
    ]
    lines = [
        f'<div class="gateproof-verdict v-{_e(verdict)}" {release_marker(release_id)}>',
        f"<p><strong>VERDICT: {_e(VERDICT_TEXT[verdict])}</strong> ({_e(data['verdict_reason'])})"
        f"</p><p>Production-ready: <strong>{_e(READY[verdict])}</strong></p>",
        _table(("", ""), rows, header=False),
    ]
    if data["not_run"]:
        lines.append("<p>Not run (in scope):</p><ul>")
        lines += [
            f"<li>{_e(n['id'])} {_e(n['title'])}: {_e(n['reason'])}</li>" for n in data["not_run"]
        ]
        lines.append("</ul>")
    if data["problems"]:
        lines.append("<p>Problems:</p><ul>")
        lines += [f"<li>{_e(p)}</li>" for p in data["problems"]]
        lines.append("</ul>")
    return "\n".join(lines) + "</div>"


def _phases(data: dict[str, Any]) -> str:
    rows = [
        (
            ", ".join(r["phases"]),
            f"{r['started']} to {r['finished']}",
            VERDICT_TEXT.get(r["verdict"], r["verdict"])
            + ("" if r["verdict"] == "GREEN" else f": {r['verdict_reason']}"),
            r["config_version"],
            "decides" if r["decides"] else "superseded by a later run",
            r["path"],
        )
        for r in data["release"]["records"]
    ]
    head = ("Phase(s)", "Time", "Verdict", "Config", "Role", "Record")
    return "<h2>Phases, in the order they ran</h2>" + _table(head, rows)


def _rollbacks(data: dict[str, Any]) -> str:
    rollbacks = data["release"]["rollbacks"]
    if not rollbacks:
        return "<h2>Rollbacks</h2><p>No rollback in this release.</p>"
    rows = [
        (
            r["at"],
            f"{r['from'] or '?'} → {r['version']}",
            r["outcome"] + (f": {r['error']}" if r["error"] else ""),
            (r["deployed"] or {}).get("path") or "generated file only",
            r["verified_by"] or "not verified (no smoke run after it)",
        )
        for r in rollbacks
    ]
    head = ("At", "Config", "Outcome", "Deployed copy restored", "Verified by smoke")
    return "<h2>Rollbacks</h2>" + _table(head, rows)


def _rollup(data: dict[str, Any]) -> str:
    out = ["<h2>Items by phase</h2>"]
    for phase in [*PHASES, "none"]:
        counts = data["rollup"].get(phase)
        if not counts:
            continue
        shown = counts_text(counts)
        out.append(f"<h3>{_e(phase if phase != 'none' else 'release')}: {_e(shown)}</h3>")
        rows = []
        for item_id, entry in data["items"].items():
            if (entry["phase"] or "none") != phase:
                continue
            outcome = entry["outcome"]
            rows.append(
                (
                    item_id,
                    entry["title"],
                    f'<span class="o-{_e(outcome)}">{_e(LABEL[outcome])}</span>',
                    entry["reason"],
                )
            )
        out.append(_table(("ID", "Item", "Outcome", "Reason"), rows, raw_col=2))
    return "\n".join(out)


def _evidence(data: dict[str, Any]) -> str:
    out = []
    for item_id, entry in data["items"].items():
        if not entry["in_scope"] or entry["outcome"] not in _EVIDENCE_OUTCOMES:
            continue
        for test in entry["tests"]:
            if test["outcome"] in ("passed", "not_applicable") or not test["message"]:
                continue
            out.append(
                f"<h3>{_e(item_id)}: <code>{_e(test['nodeid'])}</code> ({_e(test['outcome'])})"
                f"</h3><pre>{_e(test['message'])}</pre>"
            )
    body = "\n".join(out) or "<p>No failure, error or waiver to show.</p>"
    return "<h2>Evidence</h2>" + body


def _waivers(data: dict[str, Any]) -> str:
    if not data["waivers"]:
        return "<h2>Waivers</h2><p>None.</p>"
    rows = [(w["id"], w["reason"], w["approver"], w["expires"]) for w in data["waivers"]]
    return "<h2>Waivers</h2>" + _table(("ID", "Reason", "Approver", "Expires"), rows)


def _latency(data: dict[str, Any], svg: str | None) -> str:
    """PST-05 as the postdeploy record gives it: its outcome, every test's figures and the
    warm-up's picture (inline, so the file stays self-contained)."""
    entry = data["items"].get("PST-05")
    if entry is None or not entry["in_scope"]:
        return "<h2>Latency</h2><p>Postdeploy (PST-05) is not part of this release.</p>"
    return "<h2>Latency</h2>" + _picture(data.get("latency_picture") or {}, svg) + _figures(entry)


def _picture(block: dict[str, Any], svg: str | None) -> str:
    if svg is None:
        why = f" ({block['note']})" if block.get("note") else ""
        return f"<p>No latency picture in the joined records{_e(why)}.</p>"
    came = (
        f"Warm-up picture from the {', '.join(block.get('phases') or [])} run started "
        f"{block.get('started')} (record {block.get('source')}, test {block.get('test')})"
    )
    return f'<figure class="gateproof-latency">{svg}<figcaption>{_e(came)}</figcaption></figure>'


def _figures(entry: dict[str, Any]) -> str:
    lines = [f"<p>PST-05 {_e(entry['title'])}: {_e(LABEL[entry['outcome']])}"]
    if entry["reason"]:
        lines.append(f" ({_e(entry['reason'])})")
    lines.append("</p>")
    for test in entry["tests"]:
        figures = test["message"] or "(no figures recorded)"
        lines.append(f"<p><code>{_e(test['nodeid'])}</code>: {_e(test['outcome'])}</p>")
        lines.append(f"<pre>{_e(figures)}</pre>")
    return "".join(lines)


def _signoff(data: dict[str, Any]) -> str:
    names = data["signoff"]
    deployment = data["deployment"]
    rows = [
        ("Deployment completed by", names.get("deployer") or "(missing)"),
        ("Verified by", names.get("verifier") or "(missing)"),
        ("Date", data["finished"][:10]),
        (
            "Version deployed",
            f"config {data['release']['final_version']}, git "
            f"{deployment.get('git_revision') or 'unknown'}",
        ),
        ("Verdict", VERDICT_TEXT[data["verdict"]]),
        ("Production-ready", READY[data["verdict"]]),
    ]
    return "<h2>Sign-off</h2>" + _table(("", ""), rows, header=False)


def _table(
    head: tuple[str, ...], rows: list[tuple[Any, ...]], header: bool = True, raw_col: int = -1
) -> str:
    out = ["<table>"]
    if header:
        out.append("<tr>" + "".join(f"<th>{_e(h)}</th>" for h in head) + "</tr>")
    for row in rows:
        cells = (c if i == raw_col else _e(c) for i, c in enumerate(row))
        out.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return "\n".join(out) + "</table>"

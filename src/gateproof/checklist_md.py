"""The filled checklist (``checklist.md``): the operator's checklist with every item decided."""

from __future__ import annotations

from typing import Any

from gateproof.checklist import all_items
from gateproof.record import VERDICT_TEXT
from gateproof.verdict_text import LABEL, READY, not_run_lines, scope_line

_MARK = {
    "passed": "[x]",
    "failed": "[ ] ❌",
    "error": "[ ] ❌",
    "waived": "[x] ⚠️",
    "not_applicable": "[-]",
    "not_run": "[ ]",
    "out_of_scope": "[ ]",
}


def render_checklist(record: dict[str, Any]) -> str:
    """Markdown for one run record (the dict that ``record.json`` holds)."""
    out = [
        "# Production deployment checklist (filled by gateproof)",
        "",
        f"Deployment: **{record['deployment'].get('name', '?')}**  ",
        f"Run: {record['started']} to {record['finished']}  ",
        f"S{scope_line(record)[1:]}  ",
        f"Verdict: **{VERDICT_TEXT[record['verdict']]}** ({record['verdict_reason']})",
    ]
    if record["not_run"]:
        out += ["", "Not run (in scope):", ""]
        out += [f"- {line}" for line in not_run_lines(record)]
    out += [
        "",
        "Legend: [x] passed, [ ] ❌ failed or could not check, [x] ⚠️ waived, "
        "[-] not applicable, [ ] NOT RUN, [ ] out of scope (phase not selected)",
    ]
    section = None
    for item in all_items():
        entry = record["items"][item.id]
        if item.section != section:
            section = item.section
            out += ["", f"## {section}", ""]
        outcome = entry["outcome"]
        title = f"~~{item.title}~~" if outcome in ("failed", "error") else item.title
        line = f"- {_MARK[outcome]} **{item.id}** {title} — {LABEL[outcome]}"
        if entry["reason"] and outcome not in ("failed", "error"):
            line += f": {_one_line(entry['reason'])}"
        out.append(line)
        for test in entry["tests"] if entry["in_scope"] else []:
            line = f"  - `{test['nodeid']}`: {test['outcome']}"
            if test["message"] and test["outcome"] != "passed":
                line += f" — {_one_line(test['message'])}"
            out.append(line)
    out += _waivers(record) + _signoff(record)
    return "\n".join(out) + "\n"


def _waivers(record: dict[str, Any]) -> list[str]:
    if not record["waivers"] and not record["problems"]:
        return []
    lines = ["", "## Waivers and problems", ""]
    lines += [
        f"- waiver {w['id']}: {w['reason']} ({w['approver']}, until {w['expires']})"
        for w in record["waivers"]
    ]
    lines += [f"- problem: {p}" for p in record["problems"]]
    return lines


def _signoff(record: dict[str, Any]) -> list[str]:
    signoff = record["signoff"]
    deployment = record["deployment"]
    ready = READY[record["verdict"]]
    boxes = "  ".join(
        f"{'☒' if ready == choice else '☐'} {choice}" for choice in ("Yes", "No", "With caveats")
    )
    version = deployment.get("config_version") or "unknown"
    revision = deployment.get("git_revision") or "unknown"
    return [
        "",
        "## Sign-off",
        "",
        f"Deployment completed by: {signoff.get('deployer') or '_______________'}  ",
        f"Verified by: {signoff.get('verifier') or '_______________'}  ",
        f"Date: {record['finished'][:10]}  ",
        f"Version deployed: config {version}, git {revision}  ",
        f"Verdict: {VERDICT_TEXT[record['verdict']]}  ",
        f"Production-ready: {boxes}",
    ]


def _one_line(text: str, limit: int = 200) -> str:
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first if len(first) <= limit else first[: limit - 1] + "…"

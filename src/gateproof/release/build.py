"""One release: collect and join the records, decide, write ``record.json``, ``checklist.md``
and ``report.html`` into the release directory. DOC-01 and REL-01 are decided from the files
really written: each is assumed written, and the verdict is decided again when one was not."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gateproof.checklist import PHASES, clear_user_items
from gateproof.checklist_md import render_checklist
from gateproof.latency_picture import read_picture
from gateproof.outcome import dumps
from gateproof.release import decide as rules
from gateproof.release.html import release_marker, render_html
from gateproof.release.join import Joined, join
from gateproof.release.sources import ReleaseError, collect

HTML_FILE = "report.html"


def required_phases(given: list[str] | None) -> tuple[list[str], str]:
    """The phases the release needs: all four unless narrowed (never below predeploy+smoke)."""
    if not given:
        return list(PHASES), "every phase (the default)"
    unknown = [p for p in given if p not in PHASES]
    if unknown:
        raise ReleaseError(f"unknown phase(s) {', '.join(unknown)}: choose from {PHASES}")
    missing = [p for p in rules.REQUIRED if p not in given]
    if missing:
        raise ReleaseError(
            f"a release needs at least {' and '.join(rules.REQUIRED)}; --phases leaves out "
            + ", ".join(missing)
        )
    return rules.phase_order(given), f"--phases {','.join(rules.phase_order(given))}"


def signoff_names(
    joined: Joined, deployer: str | None, verifier: str | None, env: Mapping[str, str]
) -> dict[str, str | None]:
    """Options first, then GATEPROOF_SIGNOFF_*, then the names on the latest record."""
    latest: dict[str, Any] = joined.records[-1].data.get("signoff") or {}
    return {
        "deployer": deployer or env.get("GATEPROOF_SIGNOFF_DEPLOYER") or latest.get("deployer"),
        "verifier": verifier or env.get("GATEPROOF_SIGNOFF_VERIFIER") or latest.get("verifier"),
    }


def make_release(
    paths: list[Path],
    out: Path,
    phases: list[str] | None = None,
    deployer: str | None = None,
    verifier: str | None = None,
    env: Mapping[str, str] | None = None,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """Join, decide and write; the release record as data. ReleaseError when refused."""
    required, how = required_phases(phases)
    records, rollbacks = collect(paths, skip=out)
    joined = join(records, rollbacks)
    rules.register_record_items(joined)
    try:
        names = signoff_names(joined, deployer, verifier, env or {})
        context = _Context(joined, required, how, names, today or dt.date.today(), out)
        return context.write()
    finally:
        clear_user_items()


class _Context:
    def __init__(
        self,
        joined: Joined,
        phases: list[str],
        how: str,
        names: dict[str, str | None],
        today: dt.date,
        out: Path,
    ) -> None:
        self.joined, self.phases, self.how, self.names = joined, phases, how, names
        self.today, self.out, self.release_id = today, out, uuid.uuid4().hex[:16]
        self.latency_block, self.latency_svg = _latency_picture(joined)

    def _doc01(self, written: str | None) -> rules.Artefact:
        if written is not None:
            return "failed", f"the release record could not be written: {written}"
        missing = [k for k in ("deployer", "verifier") if not self.names.get(k)]
        if missing:
            return "not_run", f"sign-off missing: {', '.join(missing)}"
        return "passed", f"record.json and checklist.md written to {self.out}"

    def _data(self, doc01: rules.Artefact, rel01: rules.Artefact) -> dict[str, Any]:
        joined = self.joined
        pre = next(
            (
                r.data["items"].get("PRE-TST-04", {}).get("outcome", "not run")
                for r in reversed(joined.records)
                if "predeploy" in r.phases
            ),
            "no predeploy record joined",
        )
        artefacts = {"DOC-01": doc01, "REL-01": rel01, "RBK-01": rules.rbk01(joined, pre)}
        decision = rules.decide(joined, self.phases, artefacts, self.today)
        return _release_dict(self, decision)

    def write(self) -> dict[str, Any]:
        html_path = self.out / HTML_FILE
        rel01: rules.Artefact = ("passed", f"{html_path} written with this release's verdict")
        data = self._data(self._doc01(None), rel01)
        error = _write_files(self.out, data)
        if error is not None:
            data = self._data(self._doc01(error), rel01)
            return data  # nowhere to write: the caller prints it
        rel_problem = _write_html(html_path, data, self.release_id, self.latency_svg)
        if rel_problem is not None:
            data = self._data(self._doc01(None), ("failed", rel_problem))
            data["outputs"]["html"] = None
            _write_files(self.out, data)
        return data


def _write_files(out: Path, data: dict[str, Any]) -> str | None:
    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / "record.json").write_text(dumps(data), encoding="utf-8")
        text = render_checklist(data) + _release_md(data)
        (out / "checklist.md").write_text(text, encoding="utf-8")
    except OSError as exc:
        return f"{out}: {exc.strerror or exc}"
    return None


def _latency_picture(joined: Joined) -> tuple[dict[str, Any], str | None]:
    """PST-05's picture from the postdeploy run that decides the release (the latest one),
    with where it came from; the block says why there is none when there is none."""
    record = joined.deciding().get("postdeploy")
    if record is None:
        return {"source": None, "note": "no postdeploy record joined"}, None
    source = {
        "source": str(record.path.parent),
        "phases": record.phases,
        "started": record.started.isoformat(timespec="seconds"),
    }
    block = record.data.get("latency_picture")
    svg, why = read_picture(record.path.parent, block)
    if svg is None:
        return {**source, "note": why}, None
    assert isinstance(block, dict)
    return {**source, "file": str(record.path.parent / str(block["file"])),
            "test": str(block.get("test") or "")}, svg  # fmt: skip


def _write_html(
    path: Path, data: dict[str, Any], release_id: str, latency_svg: str | None = None
) -> str | None:
    """None when the report is on disk with this release's verdict block, else why not."""
    try:
        path.write_text(render_html(data, release_id, latency_svg), encoding="utf-8")
        written = path.read_text(encoding="utf-8")
    except OSError as exc:
        return f"{path} could not be written: {exc.strerror or exc}"
    if release_marker(release_id) not in written:
        return f"{path} does not carry this release's verdict block"
    return None


def _release_dict(ctx: _Context, decision: rules.ReleaseDecision) -> dict[str, Any]:
    joined = ctx.joined
    deciding = joined.deciding()
    rollup: dict[str, dict[str, list[str]]] = {}
    for entry in decision.items:
        rollup.setdefault(entry.item.phase or "none", {}).setdefault(entry.outcome, []).append(
            entry.item.id
        )
    counts = {
        p: dict(deciding[p].data.get("phase_counts", {}).get(p, {}))
        for p in ctx.phases
        if p in deciding
    }
    waivers = {
        (w["id"], w["expires"]): w
        for p, r in deciding.items()
        if p in ctx.phases
        for w in r.data.get("waivers", [])
    }
    latest = joined.records[-1]
    deployment = dict(latest.deployment)
    deployment["config_version"] = joined.final_version
    deciders = {id(r) for r in deciding.values()}
    return {
        "release": {
            "id": ctx.release_id,
            "final_version": joined.final_version,
            "records": [
                {
                    "path": str(r.path.parent),
                    "phases": r.phases,
                    "verdict": r.verdict,
                    "verdict_reason": r.data.get("verdict_reason", ""),
                    "started": r.started.isoformat(timespec="seconds"),
                    "finished": r.finished.isoformat(timespec="seconds"),
                    "config_version": r.version,
                    "decides": id(r) in deciders,
                }
                for r in joined.records
            ],
            "rollbacks": [rules.rollback_json(r, joined) for r in joined.rollbacks],
        },
        "verdict": decision.verdict,
        "verdict_reason": decision.reason,
        "started": joined.records[0].started.isoformat(timespec="seconds"),
        "finished": max(r.finished for r in joined.records).isoformat(timespec="seconds"),
        "scope": {"phases": ctx.phases, "how": f"release: {ctx.how}"},
        "selected_phases": ctx.phases,
        "not_run": [
            {"id": i.item.id, "title": i.item.title, "phase": i.item.phase, "reason": i.reason}
            for i in decision.items
            if i.in_scope and i.outcome == "not_run"
        ],
        "rollup": rollup,
        "phase_counts": counts,
        "deployment": deployment,
        "signoff": ctx.names,
        "waivers": list(waivers.values()),
        "problems": decision.problems,
        "outputs": {"record": str(ctx.out), "html": str(ctx.out / HTML_FILE), "junit": None},
        "items": {i.item.id: i.as_json() for i in decision.items},
        "latency_picture": ctx.latency_block,
    }


def _release_md(data: dict[str, Any]) -> str:
    """The release's own part of checklist.md: the phase runs and rollbacks, in time order."""
    lines = ["", "## Phase runs and rollbacks", ""]
    for run in data["release"]["records"]:
        role = "decides" if run["decides"] else "superseded"
        lines.append(
            f"- {', '.join(run['phases'])}: {run['started']} to {run['finished']}, config "
            f"{run['config_version']}, {run['verdict']} ({role}) — `{run['path']}`"
        )
    for rollback in data["release"]["rollbacks"]:
        verified = rollback["verified_by"] or "not verified by a smoke run"
        lines.append(
            f"- rollback {rollback['from'] or '?'} -> {rollback['version']} at {rollback['at']}: "
            f"{rollback['outcome']}; verified by: {verified}"
        )
    return "\n".join(lines) + "\n"

"""Inner suites for the verdict selftests, and one reader for every output a run leaves.

``phase_suite`` writes one test per checklist item of the given phases (so a phase can be
complete, hence GREEN), with chosen items made to fail, be N/A, or be skipped on purpose.
``Outputs`` reads the terminal, record.json, checklist.md, report.html and junit.xml of one
run, so a test can check that all five carry the same verdict and not-run items.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

import pytest

from gateproof.checklist import all_items
from gateproof.record import VERDICT_TEXT

BODIES = {
    "pass": "    pass\n",
    "fail": '    assert False, "{id} is wrong on purpose"\n',
    "na": '    pytest.skip("N/A: {id} is not part of this deployment")\n',
    "dependency": '    pytest.skip("dependency for {id} could not be checked")\n',
}


def phase_suite(phases: tuple[str, ...], **kinds: str) -> str:
    """Test source: a test per item of ``phases``; ``kinds`` maps an ID (``-`` as ``_``) to
    pass | fail | na | dependency | destructive | absent (no test at all) | variants (like
    SMK-06: an N/A variant plus a destructive one)."""
    out = ["import pytest\n"]
    for item in all_items():
        if item.phase not in phases:
            continue
        kind = kinds.get(item.id.replace("-", "_"), "pass")
        if kind == "absent":
            continue
        marks = [f"@pytest.mark.{item.phase}", f'@pytest.mark.checklist("{item.id}")']
        body = BODIES["pass"]
        if kind == "variants":
            out.append(
                "\n".join(marks)
                + f"\ndef test_{item.id.lower().replace('-', '_')}_mock():\n"
                + BODIES["na"].format(id=item.id)
            )
        if kind in ("destructive", "variants"):
            marks.insert(1, "@pytest.mark.destructive")
        else:
            body = BODIES[kind].format(id=item.id)
        name = item.id.lower().replace("-", "_")
        out.append("\n".join(marks) + f"\ndef test_{name}():\n" + body)
    return "\n\n".join(out)


REPORT_ARGS = (
    "--gateproof-record",
    "rec",
    "--html",
    "report.html",
    "--self-contained-html",
    "--junitxml",
    "junit.xml",
)


@dataclass
class Outputs:
    ret: int
    terminal: str
    record: dict[str, Any]
    checklist: str
    html: str
    junit: ET.Element

    @classmethod
    def read(cls, pytester: pytest.Pytester, result: pytest.RunResult) -> Outputs:
        base = pytester.path
        record = json.loads((base / "rec" / "record.json").read_text(encoding="utf-8"))
        return cls(
            int(result.ret),
            result.stdout.str(),
            record,
            (base / "rec" / "checklist.md").read_text(encoding="utf-8"),
            (base / "report.html").read_text(encoding="utf-8"),
            ET.parse(base / "junit.xml").getroot(),
        )

    def junit_verdict(self) -> tuple[str | None, ET.Element | None, ET.Element]:
        suite = self.junit if self.junit.tag == "testsuite" else self.junit.find("testsuite")
        assert suite is not None
        prop = suite.find("properties/property[@name='gateproof_verdict']")
        case = suite.find("testcase[@classname='gateproof'][@name='verdict']")
        return (prop.get("value") if prop is not None else None), case, suite

    def assert_agree(self, verdict: str, not_run: list[str]) -> None:
        """All five outputs carry ``verdict`` and list exactly ``not_run`` as not run."""
        text = VERDICT_TEXT[verdict]
        assert self.record["verdict"] == verdict, self.record["verdict_reason"]
        assert [n["id"] for n in self.record["not_run"]] == not_run
        reason = self.record["verdict_reason"]
        assert f"VERDICT: {text} ({reason})" in self.terminal
        assert f"Verdict: **{text}** ({reason})" in self.checklist
        ready = {"GREEN": "Yes", "GREEN_WITH_WAIVERS": "With caveats"}.get(verdict, "No")
        assert f"☒ {ready}" in self.checklist
        assert re.search(rf"<h1 id=\"title\">gateproof: [^<]*: {text}</h1>", self.html)
        assert f">Verdict: {text}</h2>" in self.html
        # the environment table, rendered above the summary, starts with the verdict too
        assert f"{{&#34;gateproof verdict&#34;: &#34;{text} (" in self.html
        value, case, suite = self.junit_verdict()
        assert value == text
        assert case is not None
        failure = case.find("failure")
        if verdict in ("GREEN", "GREEN_WITH_WAIVERS"):
            assert failure is None
        else:
            assert failure is not None
            assert failure.get("message") == f"{text}: {reason}"
            assert int(suite.get("failures", "0")) >= 1
        for entry in self.record["not_run"]:
            line = f"{entry['id']} {entry['title']}: {entry['reason']}"
            assert f"  {line}" in self.terminal, line
            assert f"- {line}" in self.checklist, line
            assert f"<b>{entry['id']}</b>" in self.html, line
            assert failure is not None and f"not run: {line}" in (failure.text or ""), line

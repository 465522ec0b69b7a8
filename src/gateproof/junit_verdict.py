"""The verdict in the JUnit XML, for a CI that reads nothing else.

pytest's junitxml writes its file during ``pytest_sessionfinish``, before REL-01 can be decided
(the HTML report is written in the same hook), so the final verdict is added to the written
file afterwards: a ``gateproof_verdict`` testsuite property and a ``gateproof.verdict`` test
case, failing (message: the verdict and its reason, text: the items not run and the problems)
unless the verdict is GREEN or GREEN WITH WAIVERS.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from gateproof.evidence import Redactor
from gateproof.record import PASSING_VERDICTS, VERDICT_TEXT
from gateproof.verdict_text import not_run_lines, scope_line


def add_verdict(path: Path, data: dict[str, Any], redact: Redactor) -> None:
    tree = ET.parse(path)
    root = tree.getroot()
    suite = root if root.tag == "testsuite" else root.find("testsuite")
    if suite is None:
        return
    properties = suite.find("properties")
    if properties is None:
        properties = ET.Element("properties")
        suite.insert(0, properties)
    verdict = VERDICT_TEXT[data["verdict"]]
    for name, value in (
        ("gateproof_verdict", verdict),
        ("gateproof_verdict_reason", data["verdict_reason"]),
        ("gateproof_scope", ", ".join(data["scope"]["phases"])),
        ("gateproof_not_run", ", ".join(n["id"] for n in data["not_run"])),
    ):
        ET.SubElement(properties, "property", name=name, value=redact(value))
    case = ET.SubElement(suite, "testcase", classname="gateproof", name="verdict", time="0")
    suite.set("tests", str(int(suite.get("tests", "0")) + 1))
    body = [scope_line(data)]
    body += [f"not run: {line}" for line in not_run_lines(data)]
    body += [f"problem: {p}" for p in data["problems"]]
    if data["verdict"] in PASSING_VERDICTS:
        ET.SubElement(case, "system-out").text = redact("\n".join([verdict, *body]))
    else:
        failure = ET.SubElement(
            case, "failure", message=redact(f"{verdict}: {data['verdict_reason']}")
        )
        failure.text = redact("\n".join(body))
        suite.set("failures", str(int(suite.get("failures", "0")) + 1))
    tree.write(path, encoding="utf-8", xml_declaration=True)

"""PRE-SEC-05 raises no false alarm on gateproof's own repository, whose history the
reference deployment's sources live in: a finding here would turn every demo RED."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateproof.errors import ProbeError
from gateproof.secretscan import repo_root, scan_history

ROOT = Path(__file__).resolve().parents[2]


def test_own_history_has_no_secret_findings() -> None:
    try:
        repo = repo_root(ROOT)
    except ProbeError:
        pytest.fail(f"{ROOT} is not a git work tree: the selftests run from a clone")
    findings = [str(f) for f in scan_history(repo)]
    assert not findings, (
        "the repository's history holds lines the scanner reports as secrets; rename the "
        "variable or mark a known-safe line with '# pragma: allowlist secret':\n  "
        + "\n  ".join(findings)
    )

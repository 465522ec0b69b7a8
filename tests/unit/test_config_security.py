"""PRE-SEC-02 (static), PRE-SEC-05, PRE-SEC-06: rate limits on every model, no secret anywhere in
the git history or as a literal in the config, no test-only switch in the gateway config.

Each checks what parsed (see ``tests/unit/conftest.py``): a schema finding elsewhere is
PRE-CFG-01's, never a reason to skip these."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import pytest

from gateproof import config_checks, config_security, secretscan
from gateproof.errors import ConfigError, ProbeError
from gateproof.schema import (
    GENERATED_FILE,
    CheckedSources,
    LiteLLMConfig,
    Sources,
    YamlDoc,
    load_yaml,
)
from gateproof.settings import Settings


def _assert_none(item: str, what: str, findings: list[str]) -> None:
    __tracebackhide__ = True
    if findings:
        pytest.fail(config_checks.report(item, what, findings), pytrace=False)


def _deployed(settings: Settings) -> list[tuple[LiteLLMConfig, YamlDoc]]:
    """The deployed copy when one is configured and there (whether it matches is DEP-02's
    business)."""
    deployed = settings.gateway.deployed_config if settings.gateway else None
    if deployed is None or not deployed.is_file():
        return []
    try:
        return [config_checks.generated_at(deployed)]
    except ConfigError as exc:
        problem = f"deployed config {deployed} cannot be read ({len(exc.findings)} finding(s))"
    raise ProbeError(f"not checked: {problem}", target=str(deployed),
                     setting="gateway.deployed_config")  # fmt: skip


@pytest.mark.predeploy
@pytest.mark.checklist("PRE-SEC-02")
def test_every_model_has_rate_limits_and_they_are_enforced(
    generated_doc: Any, parsed_sources: Sources, checked_sources: CheckedSources
) -> None:
    config, doc = generated_doc
    findings = config_checks.rate_limit_findings(config, doc, parsed_sources)
    findings += config_checks.source_rate_limit_findings(parsed_sources)
    findings = config_checks.without_consequences(findings, checked_sources)
    _assert_none("PRE-SEC-02", "rate limits", findings)


@pytest.mark.predeploy
@pytest.mark.checklist("PRE-SEC-05")
def test_no_secret_in_git_history_or_config(config_dir: Path, gateproof_settings: Settings) -> None:
    findings = config_security.source_secret_findings(config_dir)
    # A file that does not parse holds no value to check (PRE-CFG-01 reports it).
    with contextlib.suppress(ConfigError):
        findings += config_security.literal_secret_findings(load_yaml(config_dir / GENERATED_FILE))
    try:
        repo = gateproof_settings.source_repo or secretscan.repo_root(config_dir)
        history = [str(f) for f in secretscan.scan_history(repo)]
    except ProbeError:
        _assert_none("PRE-SEC-05", "secrets in the config", findings)
        raise  # nothing wrong in the config itself; the history could not be read
    if history:
        history.append(
            f"(repo {repo}) remove the secret from history (e.g. git filter-repo) AND rotate it: "
            "every clone has it; a line that only looks like one can carry "
            "'# pragma: allowlist secret'"
        )
    _assert_none("PRE-SEC-05", "secrets committed", findings + history)


@pytest.mark.predeploy
@pytest.mark.checklist("PRE-SEC-06")
def test_test_only_switches_are_off(generated_doc: Any, gateproof_settings: Settings) -> None:
    findings: list[str] = []
    for config, doc in [generated_doc, *_deployed(gateproof_settings)]:
        findings += config_security.switch_findings(config, doc)
    _assert_none("PRE-SEC-06", "test-only switches", findings)

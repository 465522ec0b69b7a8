"""PRE-SEC-02 (static), PRE-SEC-05, PRE-SEC-06: rate limits on every model, no secret anywhere in
the git history or as a literal in the config, no test-only switch in the gateway config."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateproof import config_checks, secretscan
from gateproof.errors import ConfigError, ProbeError
from gateproof.schema import LiteLLMConfig, Sources, YamlDoc, load_litellm_config
from gateproof.settings import Settings


def _generated(config_dir: Path) -> tuple[LiteLLMConfig, YamlDoc]:
    __tracebackhide__ = True
    try:
        return config_checks.generated(config_dir)
    except ConfigError as exc:
        pytest.fail(
            f"cannot check: the generated config does not load (PRE-CFG-01):\n{exc}", pytrace=False
        )


def _assert_none(item: str, what: str, findings: list[str]) -> None:
    __tracebackhide__ = True
    if findings:
        pytest.fail(config_checks.report(item, what, findings), pytrace=False)


def _gateway_configs(config_dir: Path, settings: Settings) -> list[tuple[LiteLLMConfig, YamlDoc]]:
    """The committed generated config, plus the deployed copy when one is configured and there
    (whether the copy matches is DEP-02's business)."""
    configs = [_generated(config_dir)]
    deployed = settings.gateway.deployed_config if settings.gateway else None
    if deployed is not None and deployed.is_file():
        try:
            configs.append(load_litellm_config(deployed))
        except ConfigError as exc:
            pytest.fail(f"deployed config {deployed} does not load:\n{exc}", pytrace=False)
    return configs


@pytest.mark.predeploy
@pytest.mark.checklist("PRE-SEC-02")
def test_every_model_has_rate_limits_and_they_are_enforced(
    config_dir: Path, sources: Sources
) -> None:
    config, doc = _generated(config_dir)
    findings = config_checks.rate_limit_findings(config, doc, sources)
    findings += config_checks.source_rate_limit_findings(sources)
    _assert_none("PRE-SEC-02", "rate limits", findings)


@pytest.mark.predeploy
@pytest.mark.checklist("PRE-SEC-05")
def test_no_secret_in_git_history_or_config(config_dir: Path, gateproof_settings: Settings) -> None:
    findings = config_checks.source_secret_findings(config_dir)
    try:
        findings += config_checks.literal_secret_findings(config_checks.generated(config_dir)[1])
    except ConfigError as exc:
        # The history is still worth scanning: report both.
        findings.append(f"{exc.findings[0]} (its values cannot be checked; see PRE-CFG-01)")
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
def test_test_only_switches_are_off(config_dir: Path, gateproof_settings: Settings) -> None:
    findings: list[str] = []
    for config, doc in _gateway_configs(config_dir, gateproof_settings):
        findings += config_checks.switch_findings(config, doc)
    _assert_none("PRE-SEC-06", "test-only switches", findings)

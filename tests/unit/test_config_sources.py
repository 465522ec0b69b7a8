"""PRE-CFG-01..05: the source of truth (providers.yaml, model-mappings.yaml) and the generated
LiteLLM config are valid, current, accurate, complete and free of fallback cycles.

Every failure lists each problem as ``file:line: field: what is wrong`` plus what to do. Each
item checks what parsed: a schema finding is PRE-CFG-01's alone; only a file that does not
parse at all leaves the others unchecked (one line each, the details under PRE-CFG-01).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gateproof import config_checks
from gateproof.errors import ConfigError, ProbeError
from gateproof.schema import GENERATED_FILE, CheckedSources, Sources


def _settings_file(config: pytest.Config) -> Path:
    given = config.getoption("gateproof_config", None) or os.environ.get("GATEPROOF_CONFIG")
    base = config.invocation_params.dir
    return base / given if given else base / "config" / "gateproof.yaml"


def _assert_none(item: str, what: str, findings: list[str]) -> None:
    __tracebackhide__ = True
    if findings:
        pytest.fail(config_checks.report(item, what, findings), pytrace=False)


@pytest.mark.predeploy
@pytest.mark.checklist("PRE-CFG-01")
def test_sources_generated_config_and_settings_match_their_schemas(
    config_dir: Path, checked_sources: CheckedSources, pytestconfig: pytest.Config
) -> None:
    findings = config_checks.schema_findings(
        checked_sources, config_dir, _settings_file(pytestconfig)
    )
    _assert_none("PRE-CFG-01", "schema validation", findings)


@pytest.mark.predeploy
@pytest.mark.checklist("PRE-CFG-02")
def test_generated_config_matches_its_sources(
    config_dir: Path, parsed_sources: Sources, checked_sources: CheckedSources
) -> None:
    try:
        findings = config_checks.drift_findings(config_dir, parsed_sources, checked_sources)
    except ConfigError as exc:
        problem = f"{len(exc.findings)} finding(s) under PRE-CFG-01"
        raise ProbeError(f"not checked: {GENERATED_FILE} cannot be read ({problem})") from None
    _assert_none("PRE-CFG-02", "generated config", findings)


@pytest.mark.predeploy
@pytest.mark.checklist("PRE-CFG-03")
def test_provider_registry_is_accurate(
    parsed_sources: Sources, checked_sources: CheckedSources
) -> None:
    findings = config_checks.registry_findings(parsed_sources)
    findings = config_checks.without_consequences(findings, checked_sources)
    _assert_none("PRE-CFG-03", "provider registry", findings)


@pytest.mark.predeploy
@pytest.mark.checklist("PRE-CFG-04")
def test_every_active_model_is_mapped_and_every_mapping_resolves(
    parsed_sources: Sources, checked_sources: CheckedSources
) -> None:
    findings = config_checks.mapping_findings(parsed_sources)
    findings = config_checks.without_consequences(findings, checked_sources)
    _assert_none("PRE-CFG-04", "model mappings", findings)


@pytest.mark.predeploy
@pytest.mark.checklist("PRE-CFG-05")
def test_fallback_chains_resolve_and_have_no_cycle(
    config_dir: Path, parsed_sources: Sources, checked_sources: CheckedSources
) -> None:
    findings = config_checks.fallback_findings(parsed_sources, config_dir)
    findings = config_checks.without_consequences(findings, checked_sources)
    _assert_none("PRE-CFG-05", "fallback graph", findings)

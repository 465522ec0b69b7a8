"""PRE-CFG-01..05: the source of truth (providers.yaml, model-mappings.yaml) and the generated
LiteLLM config are valid, current, accurate, complete and free of fallback cycles.

Every failure lists each problem as ``file:line: field: what is wrong`` plus what to do."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gateproof import config_checks
from gateproof.schema import Sources


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
    config_dir: Path, pytestconfig: pytest.Config
) -> None:
    findings = config_checks.schema_findings(config_dir, _settings_file(pytestconfig))
    _assert_none("PRE-CFG-01", "schema validation", findings)


@pytest.mark.predeploy
@pytest.mark.checklist("PRE-CFG-02")
def test_generated_config_matches_its_sources(config_dir: Path, sources: Sources) -> None:
    _assert_none("PRE-CFG-02", "generated config", config_checks.drift_findings(config_dir))


@pytest.mark.predeploy
@pytest.mark.checklist("PRE-CFG-03")
def test_provider_registry_is_accurate(sources: Sources) -> None:
    _assert_none("PRE-CFG-03", "provider registry", config_checks.registry_findings(sources))


@pytest.mark.predeploy
@pytest.mark.checklist("PRE-CFG-04")
def test_every_active_model_is_mapped_and_every_mapping_resolves(sources: Sources) -> None:
    _assert_none("PRE-CFG-04", "model mappings", config_checks.mapping_findings(sources))


@pytest.mark.predeploy
@pytest.mark.checklist("PRE-CFG-05")
def test_fallback_chains_resolve_and_have_no_cycle(config_dir: Path, sources: Sources) -> None:
    findings = config_checks.fallback_findings(sources, config_dir)
    _assert_none("PRE-CFG-05", "fallback graph", findings)

"""Fixtures of the static config checks: what parsed, so one finding never hides the rest.

Fixtures (scope, type):
    checked_sources   session, CheckedSources: every schema finding of the two sources, and
                      the sources without their invalid entries (None only if a file does
                      not parse at all)
    parsed_sources    session, Sources: ``checked_sources.sources``; when a file does not
                      parse, every test needing it errors with one line (PRE-CFG-01 has the
                      details)
    generated_doc     session, (LiteLLMConfig, YamlDoc): what validates of the committed
                      generated file; one line of error when it does not parse at all
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gateproof.errors import ConfigError, ProbeError
from gateproof.schema import GENERATED_FILE, CheckedSources, Sources, check_sources


@pytest.fixture(scope="session")
def checked_sources(config_dir: Path) -> CheckedSources:
    return check_sources(config_dir)


@pytest.fixture(scope="session")
def parsed_sources(pytestconfig: pytest.Config, checked_sources: CheckedSources) -> Sources:
    from gateproof.fixtures import register_source_secrets

    if checked_sources.sources is None:
        files = " and ".join(checked_sources.blocked)
        raise ProbeError(f"not checked: {files} cannot be read as the schema needs (PRE-CFG-01)")
    register_source_secrets(pytestconfig, checked_sources.sources)
    return checked_sources.sources


@pytest.fixture(scope="session")
def generated_doc(config_dir: Path) -> Any:
    from gateproof.config_checks import generated

    try:
        return generated(config_dir)
    except ConfigError as exc:
        count = len(exc.findings)
    raise ProbeError(
        f"not checked: {GENERATED_FILE} cannot be read as the schema needs ({count} finding(s) "
        "under PRE-CFG-01)"
    )

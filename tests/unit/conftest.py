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
    rule_tests        session, autouse: ``promtool test rules`` (MON-04's slowest step,
                      about a second) started in the background when the first test runs;
                      MON-04's test, moved to the end of the run, collects the result
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from gateproof.errors import ConfigError, ProbeError
from gateproof.schema import GENERATED_FILE, CheckedSources, Sources, check_sources
from gateproof.stashkeys import SETTINGS_KEY


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


RULE_TESTS = "test_rule_unit_tests_pass"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """MON-04's rule unit tests last: promtool runs meanwhile (see ``rule_tests``)."""
    last = [item for item in items if item.name == RULE_TESTS]
    if last:
        items[:] = [item for item in items if item.name != RULE_TESTS] + last


@pytest.fixture(scope="session", autouse=True)
def rule_tests(request: pytest.FixtureRequest) -> Callable[[Sequence[Path], str], Any]:
    from gateproof import promtool

    started: dict[tuple[tuple[Path, ...], str], Any] = {}
    if any(item.name == RULE_TESTS for item in request.session.items):
        settings = request.config.stash[SETTINGS_KEY]
        try:
            binary = promtool.find_promtool(settings.alerts.promtool)
            files = tuple(promtool.expand_patterns(settings.alerts.rule_tests))
        except promtool.PromtoolNotFound:
            files = ()
        if files:
            box: dict[str, Any] = {}
            thread = threading.Thread(
                target=lambda: box.update(result=promtool.run_rule_tests(files, promtool=binary)),
                daemon=True,
            )
            thread.start()
            started[(files, binary)] = (thread, box)

    def result(files: Sequence[Path], binary: str) -> Any:
        """The run started early for these files, else a run now."""
        early = started.get((tuple(files), binary))
        if early is None:
            return promtool.run_rule_tests(files, promtool=binary)
        thread, box = early
        thread.join()
        return box["result"] if "result" in box else promtool.run_rule_tests(files, promtool=binary)

    return result

"""The hooks of a run that opted in to gateproof: settings, markers, outcomes, verdict, record.

:func:`activate` is called from the entry point's ``pytest_configure``; it loads the settings,
the waivers and the team's own checklist items, and registers this module's hooks, the
fixture modules and, on the controller, the :class:`~gateproof.recorder.Recorder`. Workers
(xdist) annotate their reports; the controller folds them into the run record.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from gateproof import checklist, cmdline, markers, outcome, recorder
from gateproof.evidence import Redactor
from gateproof.latency_picture import REPORT_ATTR, SVG_KEY
from gateproof.settings import env_name, flat_keys, option_name, read_secrets_file
from gateproof.settings_loader import SettingsError, load_settings
from gateproof.stashkeys import (
    EVIDENCE_KEY,
    REDACTOR_KEY,
    SETTINGS_FILE_KEY,
    SETTINGS_KEY,
    WAIVERS_KEY,
)
from gateproof.waivers import WaiverError, load_waivers

MARKER_PROBLEMS_KEY = pytest.StashKey[str]()
_HEADER_KEY = pytest.StashKey[str]()
FIXTURE_MODULES = (
    "gateproof.fixtures",
    "gateproof.fixtures_gateway",
    "gateproof.fixtures_replicas",
    "gateproof.parametrize",
)


def activate(config: pytest.Config) -> None:
    for name, text in markers.MARKER_HELP.items():
        config.addinivalue_line("markers", f"{name}: {text}")
    _register_team_items(config)
    settings_file, explicit = _settings_file(config)
    cli = {
        key: value
        for key in flat_keys()
        if (value := config.getoption(cmdline.key_dest(key), None)) is not None
    }
    base = config.invocation_params.dir
    try:
        settings = load_settings(
            settings_file, explicit=explicit, env=os.environ, cli=cli, base_dir=base
        )
    except SettingsError as exc:
        raise pytest.UsageError(f"gateproof settings are invalid:\n{exc}") from None
    config.stash[SETTINGS_KEY] = settings
    found = settings_file.is_file()
    shown = str(settings_file) if found else "(no settings file: defaults)"
    config.stash[SETTINGS_FILE_KEY] = shown
    config.stash[_HEADER_KEY] = _header(settings_file, found, cli)
    try:
        config.stash[REDACTOR_KEY] = _redactor(settings)
    except (OSError, UnicodeDecodeError) as exc:
        raise pytest.UsageError(
            f"gateproof cannot read secrets_file {settings.secrets_file}: {exc}; "
            "make it a readable UTF-8 file of NAME=value lines"
        ) from None
    waivers_file = config.getoption("gateproof_waivers")
    waivers_path = Path(waivers_file) if waivers_file else settings.config_dir / "waivers.yaml"
    try:
        config.stash[WAIVERS_KEY] = load_waivers(base / waivers_path)
    except WaiverError as exc:
        raise pytest.UsageError(f"gateproof waivers are invalid:\n{exc}") from None
    config.pluginmanager.register(sys.modules[__name__], "gateproof-suite")
    for module in FIXTURE_MODULES:
        config.pluginmanager.import_plugin(module)
    # After import_plugin: importing it earlier would keep pytest from rewriting its asserts.
    from gateproof.parametrize import check_host_specs

    check_host_specs(config)
    # Collection notes on every process; record, verdict and reports on the controller only.
    recorder.install(config)


def _register_team_items(config: pytest.Config) -> None:
    """The ini key ``gateproof_items``: one ``ID PHASE TITLE`` per line."""
    checklist.clear_user_items()  # in-process runs (pytester) share this module's state
    items = []
    for line in config.getini("gateproof_items"):
        parts = str(line).split(None, 2)
        if len(parts) < 3 or parts[1] not in checklist.PHASES:
            raise pytest.UsageError(
                f"gateproof_items: {line!r}: write 'ID PHASE TITLE', PHASE one of "
                f"{', '.join(checklist.PHASES)}"
            )
        items.append(checklist.Item(parts[0], parts[1], "Team checks", parts[2]))
    try:
        checklist.register_user_items(items)
    except ValueError as exc:
        raise pytest.UsageError(f"gateproof_items: {exc}") from None


def _settings_file(config: pytest.Config) -> tuple[Path, bool]:
    given = config.getoption("gateproof_config") or os.environ.get("GATEPROOF_CONFIG")
    if given:
        return config.invocation_params.dir / given, True
    return config.invocation_params.dir / "config" / "gateproof.yaml", False


def _header(settings_file: Path, found: bool, cli: dict[str, str]) -> str:
    overridden = [option_name(key) for key in cli]
    overridden += [env_name(key) for key in flat_keys() if env_name(key) in os.environ]
    tail = f"; overridden: {', '.join(overridden)}" if overridden else ""
    if found:
        return f"gateproof settings: {settings_file}{tail}"
    return (
        f"gateproof settings: none ({settings_file} not found): built-in defaults, "
        f"config_dir=config, no component configured (their checks are N/A){tail}"
    )


def _redactor(settings: Any) -> Redactor:
    # Every value of the secrets file is a secret, whether or not a setting references it.
    redactor = Redactor(read_secrets_file(settings.secrets_file).values())
    for key, ref in settings.secret_refs().items():
        # Unresolvable: nothing to mask; the probe that needs it reports it.
        with contextlib.suppress(LookupError):
            redactor.add(settings.resolve_secret(ref, key))
    # A component URL with credentials in it (https://user:pass@host) would otherwise reach
    # reproducers, the record and the HTML metadata as written.
    from gateproof.url_credentials import URL_CREDENTIALS

    for url in _urls(settings.model_dump(mode="json")):
        for match in URL_CREDENTIALS.finditer(url):
            userinfo = match.group(2)
            redactor.add(userinfo)
            redactor.add(userinfo.partition(":")[2])
    return redactor


def _urls(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if "://" in value else []
    if isinstance(value, dict):
        return [url for item in value.values() for url in _urls(item)]
    if isinstance(value, list):
        return [url for item in value for url in _urls(item)]
    return []


def pytest_report_header(config: pytest.Config) -> str:
    return config.stash[_HEADER_KEY]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    suite_dirs = [(config.rootpath / d).resolve() for d in config.getini("gateproof_suite_dirs")]
    problems = []
    for item in items:
        if markers.is_acceptance_test(item, suite_dirs):
            violations = markers.rule_violations(item)
            problems += [f"{item.nodeid}: {p}" for p in violations]
            if violations:
                item.stash[MARKER_PROBLEMS_KEY] = "; ".join(violations)
            markers.gate_modifiers(
                item,
                allow_destructive=config.getoption("gateproof_allow_destructive"),
                allow_load=config.getoption("gateproof_load"),
            )
    # An xdist worker that raises here just dies ("node down"), hiding the message: there
    # each offending test fails at setup with it instead (pytest_runtest_setup below).
    if problems and not hasattr(config, "workerinput"):
        raise pytest.UsageError(
            "gateproof: acceptance tests with missing or wrong markers:\n  " + "\n  ".join(problems)
        )


def pytest_runtest_setup(item: pytest.Item) -> None:
    problem = item.stash.get(MARKER_PROBLEMS_KEY, None)
    if problem is not None:
        pytest.fail(f"gateproof: missing or wrong markers: {problem}", pytrace=False)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    result = yield
    report: pytest.TestReport = result.get_result()
    picture = item.stash.get(SVG_KEY, None)
    if picture is not None and report.when == "call":
        setattr(report, REPORT_ATTR, picture)  # a plain attribute: xdist carries it home
    if item.get_closest_marker("checklist") is None and MARKER_PROBLEMS_KEY not in item.stash:
        return
    outcome.annotate(
        item,
        call,
        report,
        item.config.stash[WAIVERS_KEY],
        item.config.stash[REDACTOR_KEY],
        item.stash.get(EVIDENCE_KEY, None),
    )


def pytest_unconfigure(config: pytest.Config) -> None:
    checklist.clear_user_items()  # this run's own: not the next in-process run's

"""gateproof's pytest hooks: options, markers, settings, outcomes, verdict and run record.

Only hooks live here; the work is done by small modules (settings_loader, markers, outcome,
record, report_files). Workers (xdist) annotate their reports; the controller's
:class:`~gateproof.recorder.Recorder` folds them into the run record.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from gateproof import markers, outcome, recorder
from gateproof.evidence import Redactor
from gateproof.fixtures import register_source_secrets
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

pytest_plugins = ["gateproof.fixtures"]

_DEST = "gateproof_key__"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup(
        "gateproof", "gateproof: acceptance checks of an LLM gateway deployment"
    )
    group.addoption(
        "--gateproof-config",
        metavar="FILE",
        help="settings file (env GATEPROOF_CONFIG; default config/gateproof.yaml)",
    )
    group.addoption(
        "--gateproof-record",
        metavar="DIR",
        help="write DIR/record.json and DIR/checklist.md (env GATEPROOF_RECORD)",
    )
    group.addoption(
        "--gateproof-waivers",
        metavar="FILE",
        help="waivers file (default: waivers.yaml in the config dir)",
    )
    group.addoption(
        "--gateproof-allow-destructive",
        action="store_true",
        help="run tests marked destructive (they stop or break part of the deployment)",
    )
    group.addoption("--gateproof-load", action="store_true", help="run tests marked load")
    for key in flat_keys():
        group.addoption(
            option_name(key),
            dest=_DEST + key.replace(".", "__"),
            metavar="VALUE",
            help=f"settings key {key} (env {env_name(key)})",
        )
    parser.addini(
        "gateproof_suite_dirs",
        type="linelist",
        default=["tests"],
        help="directories (relative to rootdir) whose tests must carry a phase and checklist ID",
    )


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    for name, text in markers.MARKER_HELP.items():
        config.addinivalue_line("markers", f"{name}: {text}")
    settings_file, explicit = _settings_file(config)
    cli = {
        key: value
        for key in flat_keys()
        if (value := config.getoption(_DEST + key.replace(".", "__"))) is not None
    }
    base = config.invocation_params.dir
    try:
        settings = load_settings(
            settings_file, explicit=explicit, env=os.environ, cli=cli, base_dir=base
        )
    except SettingsError as exc:
        raise pytest.UsageError(f"gateproof settings are invalid:\n{exc}") from None
    config.stash[SETTINGS_KEY] = settings
    config.stash[SETTINGS_FILE_KEY] = (
        str(settings_file) if settings_file.is_file() else "(no settings file: defaults)"
    )
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
    # Collection notes on every process; record, verdict and reports on the controller only.
    recorder.install(config)


def _settings_file(config: pytest.Config) -> tuple[Path, bool]:
    given = config.getoption("gateproof_config") or os.environ.get("GATEPROOF_CONFIG")
    if given:
        return config.invocation_params.dir / given, True
    return config.invocation_params.dir / "config" / "gateproof.yaml", False


def _redactor(settings: Any) -> Redactor:
    # Every value of the secrets file is a secret, whether or not a setting references it.
    redactor = Redactor(read_secrets_file(settings.secrets_file).values())
    for key, ref in settings.secret_refs().items():
        # Unresolvable: nothing to mask; the probe that needs it reports it.
        with contextlib.suppress(LookupError):
            redactor.add(settings.resolve_secret(ref, key))
    return redactor


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


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "provider" not in metafunc.fixturenames:
        return
    from gateproof.errors import ConfigError
    from gateproof.schema import load_sources

    settings = metafunc.config.stash[SETTINGS_KEY]
    params: list[Any]
    try:
        sources = load_sources(settings.config_dir)
        register_source_secrets(metafunc.config, sources)
        names = sorted(sources.active_providers())
        params, ids = list(names), [f"provider={name}" for name in names]
    except ConfigError as exc:
        params, ids = [exc], ["provider=<sources invalid>"]
    metafunc.parametrize("provider", params, ids=ids, indirect=True)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    result = yield
    report: pytest.TestReport = result.get_result()
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

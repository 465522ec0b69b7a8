"""gateproof's pytest entry point: inert unless the suite opts in.

pytest loads this module in every run of every project in the environment (``pytest11``
entry point), so it imports nothing heavy and changes nothing until a run opts in, by

* the ini key ``gateproof = true`` in the suite's pytest config (pyproject.toml, pytest.ini,
  tox.ini, setup.cfg), or
* any ``--gateproof-...`` option (on the command line, in ``addopts`` or ``PYTEST_ADDOPTS``).

A run that does not opt in gets only the fixed options and the ini keys registered (so
``--help`` lists them and ``--strict-config`` accepts the keys): no markers, no settings, no
fixtures, no verdict. An opted-in run also gets one option per settings key and the hooks and
fixtures of :mod:`gateproof.suite_hooks`.
"""

from __future__ import annotations

import sys

import pytest

from gateproof import cmdline

_ACTIVE = pytest.StashKey[bool]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup(
        "gateproof", "gateproof: acceptance checks of an LLM gateway deployment"
    )
    group.addoption(
        "--gateproof-config",
        metavar="FILE",
        help="settings file (env GATEPROOF_CONFIG; default config/gateproof.yaml); "
        "write --gateproof-config=FILE for a file outside the project",
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
    parser.addini(
        "gateproof",
        type="bool",
        default=False,
        help="true: this suite uses gateproof (markers, settings, fixtures, verdict); also "
        "--gateproof-KEY VALUE for every settings key (docs/settings.md)",
    )
    parser.addini(
        "gateproof_suite_dirs",
        type="linelist",
        default=[],
        help="gateproof: directories (relative to rootdir) whose every test must carry a "
        "phase and a checklist ID",
    )
    parser.addini(
        "gateproof_items",
        type="linelist",
        default=[],
        help="gateproof: the team's own checklist items, one 'ID PHASE TITLE' per line",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(
    early_config: pytest.Config, parser: pytest.Parser, args: list[str]
) -> None:
    # Before conftests load and the command line is parsed for good: the last moment to
    # refuse a rootdir pytest took from our option's value, and to add the key options.
    cmdline.refuse_rootdir_from_settings_path(early_config)
    active = cmdline.opted_in(early_config, args)
    early_config.stash[_ACTIVE] = active
    if active:
        cmdline.add_key_options(parser)
    else:
        cmdline.leave_plugin_list(early_config, sys.modules[__name__])


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    if config.stash.get(_ACTIVE, False):
        from gateproof import suite_hooks

        suite_hooks.activate(config)

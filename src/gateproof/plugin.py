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


def _not_rewritten() -> None:
    """pytest rewrites the asserts of every module of a plugin's distribution as it is
    imported. gateproof's own modules hold only type-narrowing asserts, so that is pure cost:
    about 0.1 s a run where no bytecode can be cached (``PYTHONDONTWRITEBYTECODE``, a
    read-only install), parsing and rewriting some 40 modules. pytest has no public way to
    take a name back, so this touches its hook's marks, and does nothing if they change."""
    for finder in sys.meta_path:
        marked = getattr(finder, "_must_rewrite", None)
        cache = getattr(finder, "_marked_for_rewrite_cache", None)
        if isinstance(marked, set) and isinstance(cache, dict) and "gateproof" in marked:
            marked.discard("gateproof")
            for name in [n for n in cache if n == "gateproof" or n.startswith("gateproof.")]:
                del cache[name]


_not_rewritten()

from gateproof import cmdline  # noqa: E402  (after the marks are taken back)

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

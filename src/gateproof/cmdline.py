"""The command line before pytest parses it for good: opt-in, key options, rootdir check.

Light on purpose: the entry point imports this in every pytest run of the environment.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import Any

import pytest

CONFIG_OPTION = "--gateproof-config"
OPTION_PREFIX = "--gateproof-"
KEY_DEST = "gateproof_key__"  # + dotted key with "." -> "__"


def opted_in(config: pytest.Config, args: list[str]) -> bool:
    """The suite's ini says ``gateproof = true``, or an argument is a ``--gateproof-`` option."""
    if config.getini("gateproof"):
        return True
    options = args[: args.index("--")] if "--" in args else args
    return any(arg.startswith(OPTION_PREFIX) for arg in options)


def key_dest(key: str) -> str:
    return KEY_DEST + key.replace(".", "__")


def add_key_options(parser: pytest.Parser) -> None:
    """``--gateproof-KEY VALUE`` for every settings key (this imports the settings model)."""
    from gateproof.settings import env_name, flat_keys, option_name

    group = parser.getgroup("gateproof")
    for key in flat_keys():
        group.addoption(
            option_name(key),
            dest=key_dest(key),
            metavar="VALUE",
            help=f"settings key {key} (env {env_name(key)})",
        )


def leave_plugin_list(config: pytest.Config, plugin: object) -> None:
    """Drop gateproof from the "plugins:" line of pytest's header, so a suite that did not
    opt in prints exactly what it prints without gateproof installed."""
    listed = getattr(config.pluginmanager, "_plugin_distinfo", None)  # pluggy's own list
    if isinstance(listed, list):
        listed[:] = [entry for entry in listed if entry[0] is not plugin]


def refuse_rootdir_from_settings_path(config: pytest.Config) -> None:
    """Stop when pytest took the folder of ``--gateproof-config FILE`` as its rootdir.

    pytest infers rootdir and its ini file before plugins load, from every argument that is
    not an option it knows yet, so ``--gateproof-config /elsewhere/settings.yaml`` (value in
    its own argument) can make ``/elsewhere`` the rootdir: the project's ``testpaths`` and
    ``addopts`` are lost and the wrong folders collected. The ``=`` form is never mistaken.
    """
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return  # the controller checked the same command line
    args = shlex.split(os.environ.get("PYTEST_ADDOPTS", ""))
    args += [str(a) for a in config.invocation_params.args]
    if CONFIG_OPTION not in args[:-1]:
        return
    value = args[args.index(CONFIG_OPTION) + 1]
    namespace = config.known_args_namespace  # parsed with our options: paths only
    paths = [str(a) for a in namespace.file_or_dir]
    intended = _rootdir_and_ini(config, namespace, paths)
    if intended is None or intended == _rootdir_and_ini(config, namespace, [*paths, value]):
        return  # the value did not change pytest's choice
    fixed = shlex.join([f"{CONFIG_OPTION}={value}"])
    raise pytest.UsageError(
        f"gateproof: pytest took the folder of '{CONFIG_OPTION} {value}' as its rootdir "
        f"({config.rootpath}) instead of {intended[0]}; write {fixed} (with '=') instead"
    )


def _rootdir_and_ini(
    config: pytest.Config, namespace: Any, paths: list[str]
) -> tuple[Path, Path | None] | None:
    """pytest's own rootdir inference for ``paths`` (None if this pytest's API differs)."""
    from _pytest.config.findpaths import determine_setup

    common: dict[str, Any] = {
        "inifile": getattr(namespace, "inifilename", None),
        "args": paths,
        "rootdir_cmd_arg": getattr(namespace, "rootdir", None) or None,
        "invocation_dir": config.invocation_params.dir,
    }
    try:  # pytest >= 8.4 also takes the -o overrides
        found = determine_setup(override_ini=getattr(namespace, "override_ini", None), **common)
    except TypeError:
        try:
            found = determine_setup(**common)  # pytest < 8.4
        except TypeError:
            return None
    return found[0], found[1]

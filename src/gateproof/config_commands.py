"""`gateproof generate | backup | rollback`: the source-of-truth commands.

Exit codes: 0 done / up to date, 1 stale (--check) or rollback refused, 2 the sources or
settings are invalid (every finding printed, file:line first).
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path
from typing import Any

from gateproof import history
from gateproof.backups import make_backup
from gateproof.errors import ConfigError, GateproofError
from gateproof.generate import check, generate
from gateproof.history import History, RollbackError, rollback

DEFAULT_SETTINGS = Path("config/gateproof.yaml")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config-dir",
        "--gateproof-config-dir",
        dest="config_dir",
        metavar="DIR",
        help="source-of-truth directory (default: config_dir of the settings, else config/)",
    )
    parser.add_argument(
        "--gateproof-config",
        dest="settings_file",
        metavar="FILE",
        help="settings file (default config/gateproof.yaml when it exists)",
    )


def register(subparsers: Any) -> None:
    gen = subparsers.add_parser(
        "generate", help="regenerate litellm-unified.yaml from providers.yaml + model-mappings.yaml"
    )
    _common(gen)
    mode = gen.add_mutually_exclusive_group()
    mode.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 with a diff when the committed file is stale",
    )
    mode.add_argument(
        "--list-backups", action="store_true", help="list the kept versions, newest first"
    )
    gen.add_argument(
        "--keep",
        type=int,
        default=history.DEFAULT_KEEP,
        metavar="N",
        help=f"versions to keep (default {history.DEFAULT_KEEP})",
    )
    gen.set_defaults(func=cmd_generate)

    bak = subparsers.add_parser(
        "backup", help="timestamped backup of the config dir (+ deployed config) with manifest"
    )
    _common(bak)
    bak.add_argument("--backups-dir", metavar="DIR", help="default: paths.backups of the settings")
    bak.add_argument(
        "--deployed-config", metavar="FILE", help="default: gateway.deployed_config of the settings"
    )
    bak.set_defaults(func=cmd_backup)

    rbk = subparsers.add_parser(
        "rollback", help="restore a kept version of the generated config, byte-identical"
    )
    _common(rbk)
    rbk.add_argument("version", metavar="VERSION", help="see `gateproof generate --list-backups`")
    rbk.add_argument(
        "--deploy-path",
        metavar="FILE",
        help="also restore this deployed copy (default: gateway.deployed_config)",
    )
    rbk.add_argument("--keep", type=int, default=history.DEFAULT_KEEP, metavar="N")
    rbk.add_argument(
        "--record",
        metavar="DIR",
        help="write DIR/rollback.json, the evidence the release record decides RBK-01 from",
    )
    rbk.set_defaults(func=cmd_rollback)


def _settings(args: argparse.Namespace) -> Any:
    """The gateproof settings when a settings file is given or present, else None."""
    given = getattr(args, "settings_file", None) or os.environ.get("GATEPROOF_CONFIG")
    path = Path(given) if given else DEFAULT_SETTINGS
    if not given and not path.is_file():
        return None
    from gateproof.settings_loader import load_settings

    return load_settings(path, explicit=bool(given), env=os.environ, cli={}, base_dir=Path.cwd())


def _config_dir(args: argparse.Namespace, settings: Any) -> Path:
    if args.config_dir:
        return Path(args.config_dir)
    return Path(settings.config_dir) if settings is not None else Path("config")


def _fail(exc: Exception) -> int:
    if isinstance(exc, ConfigError):
        print(f"gateproof: {len(exc.findings)} problem(s) in the sources:", file=sys.stderr)
        for finding in exc.findings:
            print(f"  {finding}", file=sys.stderr)
        return 2
    text = str(exc) if isinstance(exc, GateproofError) else f"{type(exc).__name__}: {exc}"
    print(f"gateproof: {text}", file=sys.stderr)
    return 1 if isinstance(exc, RollbackError) else 2


def cmd_generate(args: argparse.Namespace) -> int:
    try:
        config_dir = _config_dir(args, _settings(args))
        if args.list_backups:
            return _list(config_dir)
        if args.check:
            diff = check(config_dir)
            if diff:
                sys.stdout.write(diff)
                print(
                    f"\nstale: {config_dir}/litellm-unified.yaml differs from its sources; "
                    f"run `gateproof generate --config-dir {shlex.quote(str(config_dir))}`",
                    file=sys.stderr,
                )
                return 1
            print(f"up to date: {config_dir}/litellm-unified.yaml matches its sources")
            return 0
        if args.keep < 1:
            print("gateproof: --keep must be at least 1", file=sys.stderr)
            return 2
        result = generate(config_dir, keep=args.keep)
    except Exception as exc:
        return _fail(exc)
    if not result.changed:
        print(f"up to date: {result.path} (version {result.version})")
    else:
        kept = (
            f"; the replaced file is kept as version {result.preserved}" if result.preserved else ""
        )
        print(f"wrote {result.path} version {result.version}{kept}")
    _warn_remaining(config_dir)
    return 0


def _warn_remaining(config_dir: Path, shown: int = 10) -> None:
    """The sources load, but the config is not a correct one yet: say so now, not at the
    predeploy run (the exit code stays 0: writing succeeded). A hint only: the verdict is
    the acceptance tests' (``pytest -m predeploy tests/unit``)."""
    from gateproof import config_checks as cc
    from gateproof.schema import load_sources

    sources = load_sources(config_dir)
    config, doc = cc.generated(config_dir)
    for item, findings in (
        ("PRE-CFG-03", cc.registry_findings(sources)),
        ("PRE-CFG-04", cc.mapping_findings(sources)),
        ("PRE-CFG-05", cc.fallback_findings(sources, config_dir)),
        ("PRE-SEC-02", cc.rate_limit_findings(config, doc, sources)),
    ):
        if not findings:
            continue
        print(f"warning: {item} still fails ({len(findings)} problem(s)):", file=sys.stderr)
        for finding in findings[:shown]:
            print(f"  {finding.splitlines()[0]}", file=sys.stderr)
        if len(findings) > shown:
            print(f"  ... and {len(findings) - shown} more", file=sys.stderr)


def _list(config_dir: Path) -> int:
    hist = History(config_dir)
    entries = hist.newest_first()
    if not entries:
        print(f"no versions kept yet in {hist.dir} (run `gateproof generate`)")
        return 0
    print(f"{'VERSION':<22} {'CREATED (UTC)':<26} {'KIND':<26} SHA256")
    for entry in entries:
        mark = " (current)" if entry.version == hist.current else ""
        print(f"{entry.version:<22} {entry.created:<26} {entry.kind:<26} {entry.sha256[:12]}{mark}")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    try:
        settings = _settings(args)
        config_dir = _config_dir(args, settings)
        backups = (
            Path(args.backups_dir)
            if args.backups_dir
            else (Path(settings.paths.backups) if settings is not None else Path("backups"))
        )
        deployed = Path(args.deployed_config) if args.deployed_config else _deployed(settings)
        path = make_backup(config_dir, backups, deployed)
    except Exception as exc:
        return _fail(exc)
    print(f"backup written: {path} (manifest {path / 'manifest.json'})")
    return 0


def _deployed(settings: Any) -> Path | None:
    gateway = getattr(settings, "gateway", None)
    value = getattr(gateway, "deployed_config", None)
    return Path(value) if value else None


def cmd_rollback(args: argparse.Namespace) -> int:
    settings: Any = None
    previous = None
    try:
        settings = _settings(args)
        config_dir = _config_dir(args, settings)
        deploy = Path(args.deploy_path) if args.deploy_path else _deployed(settings)
        if args.record:
            from gateproof.release.rollback_record import current_version

            previous = current_version(config_dir)
        result = rollback(config_dir, args.version, deploy_path=deploy, keep=max(args.keep, 1))
    except Exception as exc:
        if args.record and isinstance(exc, RollbackError):
            _record_rollback(args, settings, previous, error=str(exc))
        return _fail(exc)
    print(f"restored {result.path} to version {result.version}")
    if result.before_rollback:
        print(f"  the replaced file is kept as version {result.before_rollback}")
    if result.deployed is not None:
        print(
            f"  deployed copy {result.deployed} restored too"
            + (
                f" (old one kept as {result.deployed_before_rollback})"
                if result.deployed_before_rollback
                else ""
            )
        )
    if args.record:
        written = _record_rollback(args, settings, previous, error=None, deployed=result.deployed)
        print(f"  rollback recorded in {written}; verify it with `pytest -m smoke`")
    return 0


def _record_rollback(
    args: argparse.Namespace,
    settings: Any,
    previous: str | None,
    error: str | None,
    deployed: Path | None = None,
) -> Path:
    from gateproof.release.rollback_record import write_rollback_record

    config_dir = _config_dir(args, settings)
    return write_rollback_record(
        Path(args.record),
        requested=args.version,
        previous=previous,
        generated=config_dir / "litellm-unified.yaml",
        deployed=deployed,
        settings=settings,
        error=error,
    )

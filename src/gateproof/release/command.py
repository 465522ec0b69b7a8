"""``gateproof release``: join the phase records of one deployment into the release record.

    gateproof release RELEASE_DIR                      # records in RELEASE_DIR/*/
    gateproof release --out OUT REC_DIR [REC_DIR ...]  # records anywhere

Exit codes: 0 GREEN / GREEN WITH WAIVERS, 1 RED / INCOMPLETE, 2 refused (records of another
deployment or config version, a phase run before its deploy, unreadable records).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from gateproof.record import PASSING_VERDICTS
from gateproof.release.sources import ReleaseError, is_release_dir
from gateproof.verdict_text import not_run_lines, verdict_line


def register(subparsers: Any) -> None:
    rel = subparsers.add_parser(
        "release",
        help="join the phase records (and rollbacks) of one deployment into the release record",
    )
    rel.add_argument(
        "paths",
        nargs="+",
        type=Path,
        metavar="DIR",
        help="a record directory, or a directory whose subdirectories are record directories",
    )
    rel.add_argument(
        "--out", type=Path, help="where the release record goes (default: the one DIR given)"
    )
    rel.add_argument(
        "--phases",
        help="comma-separated phases the release needs (default: all four; at least "
        "predeploy,smoke)",
    )
    rel.add_argument("--deployer", help="sign-off: who deployed (or GATEPROOF_SIGNOFF_DEPLOYER)")
    rel.add_argument("--verifier", help="sign-off: who verified (or GATEPROOF_SIGNOFF_VERIFIER)")
    rel.set_defaults(func=cmd_release)


def _out(args: argparse.Namespace) -> Path:
    if args.out is not None:
        return Path(args.out)
    only = args.paths[0] if len(args.paths) == 1 else None
    # the one directory given holds the records in subdirectories (and a previous release)
    if only is not None and only.is_dir() and is_release_dir(only, None):
        return Path(only)
    raise ReleaseError("give --out DIR: where the release record goes")


def cmd_release(args: argparse.Namespace) -> int:
    from gateproof.release.build import make_release

    phases = [p.strip() for p in args.phases.split(",") if p.strip()] if args.phases else None
    try:
        out = _out(args)
        data = make_release(args.paths, out, phases, args.deployer, args.verifier, env=os.environ)
    except ReleaseError as exc:
        print(f"gateproof: release refused: {exc}", file=sys.stderr)
        return 2
    release = data["release"]
    print(
        f"release of {len(release['records'])} phase record(s), "
        f"{len(release['rollbacks'])} rollback(s); config {release['final_version']}"
    )
    for rollback in release["rollbacks"]:
        verified = rollback["verified_by"] or "not verified yet"
        print(
            f"  rollback {rollback['from'] or '?'} -> {rollback['version']} at "
            f"{rollback['at']}: {rollback['outcome']}; smoke after it: {verified}"
        )
    lines = not_run_lines(data)
    if lines:
        print(f"not run ({len(lines)}):")
        for line in lines:
            print(f"  {line}")
    for problem in data["problems"]:
        print(f"problem: {problem}")
    print(verdict_line(data))
    outputs = data["outputs"]
    print(
        f"record: {outputs['record']}/record.json  checklist: {outputs['record']}/checklist.md"
        + (f"  report: {outputs['html']}" if outputs["html"] else "")
    )
    return 0 if data["verdict"] in PASSING_VERDICTS else 1

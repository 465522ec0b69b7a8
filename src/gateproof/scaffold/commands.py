"""``gateproof scaffold`` and ``gateproof run``: subparsers for gateproof.cli."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import Any

from gateproof.checklist import PHASES


def register(subparsers: Any) -> None:
    new = subparsers.add_parser(
        "scaffold",
        help="write a deployment repository gated by gateproof (config, settings, waivers, "
        "checks/, CI for GitHub Actions and GitLab)",
    )
    new.add_argument("target", type=Path, metavar="DIR", help="created if missing; must be empty")
    new.add_argument("--name", help="deployment name (default: the directory's name)")
    new.add_argument("--owner", default="platform-team", help="owner in the provider registry")
    new.add_argument(
        "--force",
        action="store_true",
        help="write into a non-empty DIR, replacing same-named files",
    )
    new.set_defaults(func=cmd_scaffold)

    run = subparsers.add_parser(
        "run",
        help="run phases of the shipped acceptance suite plus checks/ against this repository",
        usage="gateproof run [--repo DIR] [--checks DIR] [--out DIR] PHASES [PYTEST_ARGS ...]",
        description="Runs pytest on gateproof's shipped acceptance suite and the team's checks "
        "with the repository's pytest config; the exit code is the gate (0 only for GREEN or "
        "GREEN WITH WAIVERS). Arguments after PHASES go to pytest, but for the options "
        "below; all after -- go to pytest as they are.",
    )
    _run_options(run)
    run.add_argument("phases", metavar="PHASES", help=f"comma-separated: {', '.join(PHASES)}")
    run.add_argument("pytest_args", nargs=argparse.REMAINDER, metavar="PYTEST_ARGS")
    run.set_defaults(func=cmd_run)


def _run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--repo", type=Path, metavar="DIR", help="the deployment repository (default: .)"
    )
    parser.add_argument(
        "--checks",
        action="append",
        metavar="DIR",
        help="the team's own checks, relative to the repository (default: checks; repeatable)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="record, report.html, junit.xml; relative to the repository (default: records/PHASES)",
    )


def _split_run_args(args: argparse.Namespace) -> list[str]:
    """gateproof run's own options may also follow PHASES (``run predeploy --out DIR``):
    take them out of the arguments for pytest; everything after ``--`` is pytest's as is."""
    rest = list(args.pytest_args)
    head, tail = (
        (rest[: rest.index("--")], rest[rest.index("--") + 1 :]) if "--" in rest else (rest, [])
    )
    own = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    _run_options(own)
    found, unknown = own.parse_known_args(head)
    args.repo = found.repo or args.repo
    args.out = found.out or args.out
    args.checks = [*(args.checks or []), *(found.checks or [])]
    return [*unknown, *tail]


def cmd_scaffold(args: argparse.Namespace) -> int:
    from gateproof.errors import GateproofError
    from gateproof.scaffold.writer import ScaffoldError, scaffold

    target: Path = args.target
    name = args.name or target.resolve().name
    try:
        done = scaffold(target, name=name, owner=args.owner, force=args.force)
    except (ScaffoldError, GateproofError) as exc:
        print(f"gateproof scaffold: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {len(done.written)} files into {target} (deployment {name!r}). Next:")
    print(f"  cd {shlex.quote(str(target))}")
    print("  edit config/providers.yaml, config/model-mappings.yaml, config/gateproof.yaml")
    print("  gateproof generate              # after every edit of the sources")
    git = "git init done; " if done.git_initialised else ""
    print(f"  git add -A && git commit        # ({git}PRE-SEC-05 scans the config's history)")
    print("  export LITELLM_MASTER_KEY=... REDIS_PASSWORD=...")
    print("  gateproof run predeploy         # the gate before a deploy (also: smoke, postdeploy)")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from gateproof.scaffold.runner import RunError, invocation, parse_phases, run
    from gateproof.scaffold.shipped import NotShippedError

    pytest_args = _split_run_args(args)
    try:
        call = invocation(
            parse_phases(args.phases),
            args.repo or Path("."),
            args.checks or ["checks"],
            args.out,
            pytest_args,
        )
    except (RunError, NotShippedError) as exc:
        print(f"gateproof run: {exc}", file=sys.stderr)
        return 4  # pytest's "usage error"
    return run(call)

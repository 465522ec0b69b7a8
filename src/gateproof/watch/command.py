"""``gateproof watch``: run the chosen phases every interval against the live deployment.

    gateproof watch -m smoke --gateproof-config S --record DIR --interval 300 --duration 3600
        [--max-failures N] [--max-consecutive N] [--inconclusive failure|success|ignore]
        [--textfile-dir DIR] [--rollback-to last-green|VERSION --restart-cmd CMD]

Exit codes: 0 GREEN / GREEN WITH WAIVERS, 1 RED / INCOMPLETE, 2 refused (bad options,
unreadable settings).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from gateproof.record import PASSING_VERDICTS
from gateproof.watch.budget import INCONCLUSIVE_AS, Budget
from gateproof.watch.rollback import LAST_GREEN


def register(subparsers: Any) -> None:
    w = subparsers.add_parser(
        "watch",
        help="run phases against the live deployment every interval, with a failure budget, "
        "one verdict and one record (and an opt-in rollback when it turns red)",
    )
    w.add_argument(
        "-m",
        dest="marker",
        default="smoke",
        help="phases to run, a pytest -m expression (default: smoke)",
    )
    w.add_argument(
        "--gateproof-config",
        dest="settings",
        type=Path,
        required=True,
        metavar="FILE",
        help="the deployment's settings",
    )
    w.add_argument(
        "--record",
        type=Path,
        metavar="DIR",
        help="where watch.json, watch.md and round-NNN/ go (required unless --init-textfile)",
    )
    w.add_argument(
        "--init-textfile",
        action="store_true",
        help="only write the idle state (not running, not red) into --textfile-dir unless a "
        "file is there already, so the alert rules have series before the first watch; exit",
    )
    w.add_argument(
        "--interval",
        type=float,
        default=300.0,
        metavar="S",
        help="seconds from one round's start to the next (default 300)",
    )
    end = w.add_mutually_exclusive_group()
    end.add_argument(
        "--duration",
        type=float,
        metavar="S",
        help="watch this long (default: until stopped with Ctrl-C / SIGTERM)",
    )
    end.add_argument("--rounds", type=int, metavar="N", help="run exactly N rounds")
    w.add_argument(
        "--max-failures",
        type=int,
        default=1,
        metavar="N",
        help="failed rounds in all that turn the watch red (default 1)",
    )
    w.add_argument(
        "--max-consecutive",
        type=int,
        metavar="N",
        help="failed rounds in a row that turn it red (default: off)",
    )
    w.add_argument(
        "--inconclusive",
        choices=INCONCLUSIVE_AS,
        default="failure",
        help="what an INCOMPLETE round (or one with no record) counts as (default failure)",
    )
    w.add_argument(
        "--textfile-dir",
        type=Path,
        metavar="DIR",
        help="write the watch's metrics here for the node exporter's textfile "
        "collector (default: DIR/textfile beside the settings when it exists, as in a "
        "reference stack's run dir)",
    )
    w.add_argument(
        "--rollback-to",
        metavar="VERSION",
        help=f"opt-in: when the watch turns red, roll back to VERSION or "
        f"'{LAST_GREEN}' (never past the last version that passed its gate)",
    )
    w.add_argument(
        "--restart-cmd",
        metavar="CMD",
        help="restarts the gateway after a rollback (e.g. 'systemctl restart "
        "litellm'); required with --rollback-to",
    )
    w.add_argument(
        "--last-green",
        type=Path,
        metavar="RECORD_DIR",
        help="a passing gate record of the version deployed before the watch: the "
        "rollback floor until a round of the watch passes",
    )
    w.add_argument(
        "--tests",
        nargs="+",
        metavar="PATH",
        help="test paths (default: the acceptance suite gateproof ships)",
    )
    w.add_argument(
        "--round-timeout",
        type=float,
        default=600.0,
        metavar="S",
        help="a round running longer is stopped and inconclusive (default 600)",
    )
    w.add_argument(
        "pytest_args",
        nargs=argparse.REMAINDER,
        help="after --: more pytest arguments for every round",
    )
    w.set_defaults(func=cmd_watch)


def _budget(args: argparse.Namespace) -> Budget:
    return Budget(args.max_failures, args.max_consecutive, args.inconclusive)


def cmd_watch(args: argparse.Namespace) -> int:
    from gateproof.watch.loop import Watch, WatchError

    if args.init_textfile:
        return _init_textfile(args)
    try:
        if args.record is None:
            raise WatchError("--record DIR is required")
        if args.interval <= 0 or (args.duration is not None and args.duration <= 0):
            raise WatchError("--interval and --duration must be positive")
        if args.rounds is not None and args.rounds < 1:
            raise WatchError("--rounds must be at least 1")
        if args.rollback_to and not args.restart_cmd:
            raise WatchError(
                "--rollback-to needs --restart-cmd: a restored config is live only "
                "after the gateway restarts"
            )
        watch = Watch.from_args(args, _budget(args))
    except (WatchError, ValueError) as exc:
        print(f"gateproof: watch refused: {exc}", file=sys.stderr)
        return 2
    data = watch.run()
    return 0 if data["verdict"] in PASSING_VERDICTS else 1


def _init_textfile(args: argparse.Namespace) -> int:
    import os

    from gateproof.settings_loader import load_settings
    from gateproof.watch.metrics import idle_state, textfile_path, write_textfile

    if args.textfile_dir is None:
        print("gateproof: watch refused: --init-textfile needs --textfile-dir", file=sys.stderr)
        return 2
    try:
        settings = load_settings(
            Path(args.settings), explicit=True, env=os.environ, cli={}, base_dir=Path.cwd()
        )
    except Exception as exc:  # the loader's message names the key and the file
        print(f"gateproof: watch refused: settings {args.settings}: {exc}", file=sys.stderr)
        return 2
    name = settings.deployment.name
    target = textfile_path(Path(args.textfile_dir), name)
    if target.exists():
        print(f"{target} exists (a watch wrote it): left as it is")
        return 0
    write_textfile(target, idle_state(name))
    print(f"idle watch metrics for {name} written to {target}")
    return 0

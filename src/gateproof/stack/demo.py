"""``gateproof demo``: the reference stack up, all four phases run against it, the stack down.

The stack is stopped whatever happens: test failures, a crash, Ctrl-C or SIGTERM. The demo ends
with the run's verdict and the in-scope items that were not run, with why: a phase without
tests makes the verdict RED, a check left out (e.g. destructive without --allow-destructive)
INCOMPLETE; nothing is faked to look green.
"""

from __future__ import annotations

import argparse
import json
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

from gateproof.errors import GateproofError
from gateproof.record import VERDICT_TEXT
from gateproof.stack import launcher, process
from gateproof.stack.layout import DEFAULT_BASE_PORT, RunDir
from gateproof.stack.litellm_env import VenvError
from gateproof.stack.settings_out import suite_argv

PHASES = "predeploy or smoke or postdeploy or monitoring"
PYTEST_GRACE_S = 30.0
NO_TESTS = 5
INTERRUPTED = 130
DEMO_LOAD_S = 20.0  # long enough for p50/p95/p99, short enough for a demo


def register_demo(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    demo = subparsers.add_parser("demo", help="stack up, run every phase against it, stack down")
    demo.add_argument("--run-dir", type=Path, default=None, help="default runs/demo-TIMESTAMP")
    demo.add_argument(
        "--report-dir", type=Path, default=None, help="default reports/demo-TIMESTAMP"
    )
    demo.add_argument("--base-port", type=int, default=DEFAULT_BASE_PORT)
    demo.add_argument("--config-dir", type=Path, default=Path("config"))
    demo.add_argument("--tests", type=Path, default=Path("tests"), help="the acceptance suite")
    demo.add_argument(
        "--allow-destructive",
        action="store_true",
        help="also run the checks that break part of the deployment (the stack is disposable)",
    )
    demo.add_argument(
        "--load-s",
        type=float,
        default=DEMO_LOAD_S,
        help=f"seconds of the sustained load test PRE-TST-05 (default {DEMO_LOAD_S:g}; 0 leaves "
        "it out, and the verdict then says it was not run)",
    )
    demo.set_defaults(func=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    run = RunDir.at(args.run_dir or Path("runs") / f"demo-{stamp}")
    report_dir: Path = (args.report_dir or Path("reports") / f"demo-{stamp}").resolve()
    if run.root.exists() and (not run.root.is_dir() or any(run.root.iterdir())):
        print(
            f"error: run dir {run.root} is not an empty directory; the demo needs a fresh one",
            file=sys.stderr,
        )
        return 2
    report_dir.mkdir(parents=True, exist_ok=True)
    verdict_line = None
    code = 1
    with process.interrupt_on_stop_signals():
        try:
            print(f"== starting the reference stack in {run.root}")
            monitoring = args.config_dir.resolve().parent / "monitoring"
            launcher.up(run.root, args.config_dir, args.base_port, monitoring)
            shown = shlex.join([*suite_argv(run.settings, PHASES), str(args.tests)])
            print(f"== running every phase: {shown}")
            extra = ["--gateproof-allow-destructive"] if args.allow_destructive else []
            if args.load_s > 0:
                # The load test runs before the predeploy snapshot (same folder, name order), so
                # the baseline PST-09 compares with holds real figures.
                extra += ["--gateproof-load", f"--gateproof-load-duration-s={args.load_s:g}"]
            code, verdict_line = _run_pytest(run, report_dir, args.tests, extra)
        except (GateproofError, launcher.StackError, VenvError, ValueError, OSError) as exc:
            print(f"error: the stack did not start: {exc}", file=sys.stderr)
            return 1  # after the stop below
        except KeyboardInterrupt:
            print("\ninterrupted: stopping the stack", file=sys.stderr)
            code = INTERRUPTED
        finally:
            with process.stop_signals_ignored():
                print(f"== stopping the stack in {run.root}")
                launcher.down(run.root)
    _report(code, verdict_line, report_dir)
    return code  # pytest's: non-zero unless the verdict is GREEN or GREEN WITH WAIVERS


def _run_pytest(
    run: RunDir, report_dir: Path, tests: Path, extra: list[str]
) -> tuple[int, str | None]:
    argv = [
        sys.executable,
        "-m",
        "pytest",
        *suite_argv(run.settings, PHASES)[1:],
        str(tests),
        "--gateproof-record",
        str(report_dir),
        "--html",
        str(report_dir / "report.html"),
        "--self-contained-html",
        *extra,
    ]
    verdict = None
    with subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
    ) as child:
        try:
            assert child.stdout is not None
            for line in child.stdout:
                sys.stdout.write(line)
                if line.startswith("VERDICT:"):
                    verdict = line.strip()
            return child.wait(), verdict
        except KeyboardInterrupt:
            child.send_signal(signal.SIGINT)  # let pytest write its summary and report
            try:
                rest, _ = child.communicate(timeout=PYTEST_GRACE_S)  # drains, so it cannot block
                sys.stdout.write(rest or "")
            except subprocess.TimeoutExpired:
                child.kill()
            raise


def _report(code: int, verdict_line: str | None, report_dir: Path) -> None:
    record = report_dir / "record.json"
    not_run: list[str] = []
    if code == INTERRUPTED:
        # The record of an interrupted run covers only the checks that ran: no verdict.
        verdict_line = "VERDICT: none, the run was interrupted (partial report below)"
    elif record.is_file():
        data = json.loads(record.read_text(encoding="utf-8"))
        verdict = VERDICT_TEXT.get(data.get("verdict", ""), "unknown")
        verdict_line = f"VERDICT: {verdict} ({data.get('verdict_reason', '')})"
        not_run = [f"  {n['id']} {n['title']}: {n['reason']}" for n in data.get("not_run", [])]
    print("== demo finished")
    if code == NO_TESTS:
        print("pytest selected no tests (exit 5): no phase has tests yet")
    print(verdict_line or f"VERDICT: not produced (exit {code})")
    if not_run:
        print(f"not run ({len(not_run)} in-scope items, so the deployment is not proven ready):")
        print("\n".join(not_run))
    for name in ("report.html", "record.json", "checklist.md"):
        path = report_dir / name
        print(f"  {name:<13} {path}{'' if path.is_file() else '  (not written)'}")

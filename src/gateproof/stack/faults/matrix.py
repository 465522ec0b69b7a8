"""The command: pick the faults, start one reference stack, run every fault and the healthy
runs against it, print the table and (``--write-doc``) keep docs/fault-matrix.md current."""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from gateproof.gitinfo import describe_revision
from gateproof.stack import launcher, process
from gateproof.stack.faults import report
from gateproof.stack.faults.catalogue import CATALOGUE, FIXTURES
from gateproof.stack.faults.health import (
    errors_logged_since,
    log_size,
    restart_gateway,
    wait_healthy,
)
from gateproof.stack.faults.model import CATEGORIES, Fault
from gateproof.stack.faults.runner import HealthyRun, Row, run_fault, run_healthy
from gateproof.stack.testing import ReferenceStack, free_base, start

DEFAULT_BASE_PORT = 24700


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m gateproof.stack.faults", description=__doc__)
    parser.add_argument("--only", default="", help="comma-separated fault names")
    parser.add_argument("--category", choices=CATEGORIES, default=None)
    parser.add_argument("--healthy-runs", type=int, default=20, help="0 skips them")
    parser.add_argument("--write-doc", type=Path, default=None, help="e.g. docs/fault-matrix.md")
    parser.add_argument("--base-port", type=int, default=None,
                        help=f"default: the first free range from {DEFAULT_BASE_PORT}")  # fmt: skip
    parser.add_argument("--config-dir", type=Path, default=Path("config"))
    parser.add_argument("--work-dir", type=Path, default=None, help="default: a new tmp dir")
    parser.add_argument("--list", action="store_true", help="print the catalogue and stop")
    return parser.parse_args(argv)


def select(only: str, category: str | None) -> list[Fault]:
    chosen = list(CATALOGUE)
    if only:
        names = [n.strip() for n in only.split(",") if n.strip()]
        known = {f.name for f in CATALOGUE}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise SystemExit(f"unknown fault(s): {', '.join(unknown)} (see --list)")
        chosen = [f for f in chosen if f.name in names]
    if category:
        chosen = [f for f in chosen if f.category == category]
    return chosen


def say(text: str) -> None:
    print(text, flush=True)


class Matrix:
    """One stack, restarted afresh when a fault leaves it unhealthy."""

    def __init__(self, work: Path, config_dir: Path, base_port: int) -> None:
        self.work, self.config_dir, self.base_port = work, config_dir, base_port
        self.stacks = 0
        self.stack = self._up()

    def _up(self) -> ReferenceStack:
        self.stacks += 1
        run_dir = self.work / f"stack-{self.stacks}"
        say(f"== starting the reference stack in {run_dir} (base port {self.base_port})")
        return start(run_dir, self.config_dir, self.base_port)

    def restart(self) -> None:
        say("== restarting the stack afresh")
        launcher.down(self.stack.run.root, say=lambda _: None)
        self.stack = self._up()

    def down(self) -> None:
        launcher.down(self.stack.run.root, say=lambda _: None)


def schedule(faults: int, healthy: int) -> list[int]:
    """The order of the work: fault numbers (1..) and healthy runs (-1..), the healthy runs
    spread evenly among the faults, so an interrupted matrix has some of each, and each
    healthy run also proves the stack whole again after the faults before it."""
    steps: list[int] = []
    done = 0
    for number in range(1, faults + 1):
        steps.append(number)
        while done < healthy and (done + 1) * faults <= number * healthy:
            done += 1
            steps.append(-done)
    steps += [-i for i in range(done + 1, healthy + 1)]
    return steps


def _one_fault(matrix: Matrix, item: Fault, number: int, total: int, work: Path) -> Row:
    say(f"-- [{number}/{total}] {item.name}: {item.about}")
    offset = log_size(matrix.stack)
    row = run_fault(matrix.stack, item, work / "faults" / item.name)
    say(f"   expected {report._ids(item.expected)}; seen {report._seen(row)}; "
        f"{row.seconds:.1f} s; load {row.load:.1f}; {report._verdict(row)}")  # fmt: skip
    for name in sorted(row.extra | row.missing):
        if name in row.messages:
            say(f"     {name}: {row.messages[name][:400]}")
    row.recovery = recover(matrix, offset)
    return row


def recover(matrix: Matrix, offset: int) -> str:
    """Healthy again, restarting the gateway if it logged errors meanwhile and the whole
    stack if something stays wrong; what was wrong (empty when nothing was)."""
    problem = wait_healthy(matrix.stack, say)
    if not problem and errors_logged_since(matrix.stack, offset):
        restart_gateway(matrix.stack, say)
        problem = wait_healthy(matrix.stack, say)
    if problem:
        matrix.restart()
    return problem


def _one_healthy(matrix: Matrix, index: int, total: int, work: Path) -> HealthyRun:
    say(f"-- healthy run {index}/{total}")
    offset = log_size(matrix.stack)
    result = run_healthy(matrix.stack, index, work / "healthy")
    red = result.problem or report._ids(set(result.red))
    say(f"   {result.verdict}, {result.seconds:.0f} s, load {result.load:.1f}, red: {red}")
    for item, message in result.red.items():
        say(f"     {item}: {message[:400]}")
    left = recover(matrix, offset)
    if left and not result.problem:  # a healthy run must leave the stack healthy too
        result.problem = f"the stack was not healthy after the run: {left}"
    return result


def _work(
    matrix: Matrix, faults: list[Fault], healthy: int, work: Path,
    rows: list[Row], runs: list[HealthyRun], write_doc: Callable[[], None],
) -> None:  # fmt: skip
    for step in schedule(len(faults), max(healthy, 0)):
        if step > 0:
            rows.append(_one_fault(matrix, faults[step - 1], step, len(faults), work))
        else:
            runs.append(_one_healthy(matrix, -step, healthy, work))
        write_doc()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    faults = select(args.only, args.category)
    if args.list:
        for f in faults:
            print(f"{f.name:<36} {f.category:<13} {f.marker:<20} {report._ids(f.expected)}")
        return 0
    missing = [str(p) for p in (Path("tests"), args.config_dir, FIXTURES) if not p.is_dir()]
    if missing:  # the matrix runs the suite of a checkout, from its top folder
        print(f"error: run it from a gateproof checkout: missing {', '.join(missing)}",
              file=sys.stderr)  # fmt: skip
        return 2
    work = (args.work_dir or Path(tempfile.mkdtemp(prefix="gateproof-faults-"))).resolve()
    work.mkdir(parents=True, exist_ok=True)
    base = args.base_port if args.base_port is not None else free_base(DEFAULT_BASE_PORT)
    command = shlex.join(["python", "-m", "gateproof.stack.faults", *(argv or sys.argv[1:])])
    started, began = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), time.monotonic()
    rows: list[Row] = []
    runs: list[HealthyRun] = []
    revision = describe_revision(Path.cwd())

    def write_doc() -> None:
        (work / "matrix.json").write_text(report.as_json(rows, runs), encoding="utf-8")
        if args.write_doc is None:
            return
        text = report.markdown(
            rows, runs, started=started,
            finished=time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
            planned_faults=len(faults), planned_runs=max(args.healthy_runs, 0),
            seconds=time.monotonic() - began, command=command, revision=revision,
        )  # fmt: skip
        args.write_doc.write_text(text, encoding="utf-8")

    with process.interrupt_on_stop_signals():  # SIGTERM too ends in the stack's stop
        matrix = Matrix(work, args.config_dir, base)
        try:
            _work(matrix, faults, args.healthy_runs, work, rows, runs, write_doc)
        finally:
            with process.stop_signals_ignored():
                matrix.down()
    print()
    print(report.table(rows))
    print()
    print(report.healthy_summary(runs))
    bad = [r for r in rows if not r.ok]
    false_reds = sum(len(r.red) + bool(r.problem) for r in runs)
    not_green = sum(r.verdict != "GREEN" for r in runs)  # INCOMPLETE: something was not run
    print(f"\n{len(rows) - len(bad)} of {len(rows)} faults as expected; "
          f"{false_reds} false red(s) in {len(runs)} healthy run(s), {not_green} not GREEN; "
          f"work dir {work}")  # fmt: skip
    return 1 if bad or false_reds or not_green else 0

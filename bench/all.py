"""Every figure gateproof promises, each beside its target, in one table (``make bench``).

    .venv/bin/python bench/all.py [--quick] [--base-port 29300] [--markdown FILE]

Runs the benchmarks of ``bench/`` (their functions, each figure from child processes as an
operator would run them): plugin start-up, the predeploy phase on the reference config and on
10,000 / 50,000 synthetic models, smoke, postdeploy, monitoring, time to red with the gateway,
Redis and Prometheus dead, the reference stack's warm and cold start, the load engine against
wrk, and the peak memory of each suite process. It starts the reference stacks it needs on
``--base-port`` (ports base .. base+199) and stops them. ``--quick`` leaves out the 50,000-model
run and the cold runs (stack cold start, the cold 10,000-model predeploy); about 6 minutes
then, 9 without.

The load average is printed at the start and the end: on a shared machine the timings move
with it, so read a miss next to it. A benchmark, not a test: it exits 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))  # the sibling scripts are imported as modules

SUITE_RSS_MB = 150.0  # target of every suite process (pytest itself)


@dataclass
class Figure:
    name: str
    measured: str
    target: str  # "no target" where the docs state none
    met: bool | None  # None: no target, or not measured


@dataclass
class Context:
    quick: bool
    base_port: int
    run_dir: Path | None = None  # the running reference stack, once started
    notes: list[str] = field(default_factory=list)

    @property
    def settings(self) -> Path:
        assert self.run_dir is not None
        return self.run_dir / "settings.yaml"


@dataclass
class Entry:
    """One benchmark: what it measures, whether it needs the running stack, how to run it."""

    title: str
    needs_stack: bool
    run: Callable[[Context], list[Figure]]


def at_most(name: str, value: float, limit: float, unit: str = "s") -> Figure:
    sep = "" if unit == "x" else " "
    return Figure(name, f"{value:.2f}{sep}{unit}", f"<= {limit:g}{sep}{unit}", value <= limit)


def below(name: str, value: float, limit: float, unit: str = "MB") -> Figure:
    return Figure(name, f"{value:.0f} {unit}", f"< {limit:g} {unit}", value < limit)


def info(name: str, measured: str) -> Figure:
    return Figure(name, measured, "no target", None)


def pytest_rss_mb(*args: str) -> float:
    """Peak RSS of one pytest process (``-q`` plus ``args``), its own children apart."""
    import postdeploy

    argv = [
        sys.executable,
        "-c",
        postdeploy.RELAY,
        sys.executable,
        "-c",
        postdeploy.WRAPPED_PYTEST,
        "-q",
        "-p",
        "no:randomly",
        *args,
    ]
    done = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=600, check=False)
    found = re.search(r"MAXRSS (\d+)", done.stderr)
    return int(found.group(1)) / 1024 if found else float("nan")


def plugin_startup(ctx: Context) -> list[Figure]:
    import plugin_startup as bench

    f = bench.startup_figures(runs=5)
    bare = f["bare"][0]
    return [
        info("bare pytest (plugin disabled, nothing collected)", f"{bare:.2f} s"),
        Figure(
            "plugin installed, not opted in / bare",
            f"{f['inert'][0] / bare:.2f}x",
            "close to 1x",
            None,
        ),
        at_most("plugin opted in / bare", f["opted-in"][0] / bare, 1.5, "x"),
        below("peak RSS: pytest opted in, nothing collected", f["opted-in"][1], SUITE_RSS_MB),
    ]


def predeploy(ctx: Context) -> list[Figure]:
    import config_scale as bench

    sizes = [10000] if ctx.quick else [10000, 50000]
    f = bench.phase_figures(sizes, cold=not ctx.quick)
    ten = f["sizes"][10000]
    out = [
        info("bare pytest run (one trivial test)", f"{f['bare_s']:.2f} s"),
        info("predeploy tests/unit, reference config", f"{f['reference_s']:.2f} s"),
        at_most("predeploy reference / bare", f["reference_s"] / f["bare_s"], 2, "x"),
        below("peak RSS: predeploy, reference config", f["reference_rss_mb"], SUITE_RSS_MB),
        at_most("predeploy 10,000 models, warm", ten["warm_s"], 3),
    ]
    if "cold_s" in ten:
        out.append(at_most("predeploy 10,000 models, cold (empty scan cache)", ten["cold_s"], 6))
    rss = max(ten["warm_rss_mb"], ten.get("cold_rss_mb", 0.0))
    out.append(below("peak RSS: predeploy 10,000 models", rss, SUITE_RSS_MB))
    if 50000 in f["sizes"]:
        big = f["sizes"][50000]
        out.append(info("predeploy 50,000 models, warm", f"{big['warm_s']:.2f} s"))
        out.append(
            at_most(
                "predeploy 50,000 / 10,000 models (warm)", big["warm_s"] / ten["warm_s"], 6, "x"
            )
        )
        out.append(info("peak RSS: predeploy 50,000 models", f"{big['warm_rss_mb']:.0f} MB"))
    return out


def smoke(ctx: Context) -> list[Figure]:
    import gate_time as bench

    f = bench.smoke_figures(ctx.settings, repeat=3)
    settings = ("--gateproof-config", str(ctx.settings))
    for rc in ("smoke_rc", "red_rc", "hung_rc"):  # the exit codes of the repeated runs
        f[rc] = ", ".join(str(code) for code in sorted(f[rc]))
    return [
        at_most(f"smoke phase (pytest -m smoke, exit {f['smoke_rc']})", f["smoke"], 5),
        info("smoke phase with -n 2", f"{f['smoke_n2']:.2f} s"),
        at_most(
            "smoke / (slowest check + start-up)", f["smoke"] / (f["slowest"] + f["bare"]), 3, "x"
        ),
        at_most(f"smoke, gateway refusing: red after (exit {f['red_rc']})", f["red"], 15),
        at_most(f"smoke, gateway hung: red after (exit {f['hung_rc']})", f["red_hung"], 15),
        below(
            "peak RSS: pytest -m smoke",
            pytest_rss_mb(*settings, "tests", "-m", "smoke"),
            SUITE_RSS_MB,
        ),
    ]


def time_to_red(ctx: Context) -> list[Figure]:
    import time_to_red as bench

    out = []
    for component in bench.RUNS:
        f = bench.time_to_red(ctx.settings, component)
        red = f["refused_rc"] != 0 and f["dropped_rc"] != 0
        out.append(
            Figure(
                f"{component} dead: connect timeouts paid ({f['connect_s']:g} s each)",
                f"{f['timeouts_paid']:.1f} (red after {f['refused_s']:.1f} s refused, "
                f"{f['dropped_s']:.1f} s dropped{'' if red else '; NOT red'})",
                "about 1 (<= 1.5)",
                red and f["timeouts_paid"] <= 1.5,
            )
        )
    return out


def postdeploy(ctx: Context) -> list[Figure]:
    import postdeploy as bench

    if not shutil.which("wrk") or not shutil.which("taskset"):
        ctx.notes.append("load engine vs wrk not measured: needs wrk and taskset")
        engine = None
    else:
        assert ctx.run_dir is not None
        engine = bench.engine(ctx.run_dir, "llama-cpp", 10)
    phase = bench.phase(ctx.settings, [])
    out = [
        at_most(f"postdeploy phase (verdict {phase['verdict']})", float(phase["wall_s"]), 45),
        below("peak RSS: pytest -m postdeploy", float(phase["pytest_rss_mb"]), SUITE_RSS_MB),
    ]
    if engine is not None:
        share = float(engine["engine_share_of_wrk"])
        out.append(
            Figure(
                "load engine rate / wrk's (one core, one stand-in)",
                f"{100 * share:.0f} % ({engine['engine_rps']} / {engine['wrk_rps']} req/s)",
                ">= 50 %",
                share >= 0.5,
            )
        )
    return out


def monitoring(ctx: Context) -> list[Figure]:
    import monitoring_phase as bench

    f = bench.measured(ctx.settings, runs=3, destructive=True)
    return [
        at_most(f"monitoring phase, healthy ({f['healthy_verdict']})", f["healthy_s"], 5),
        at_most(f"MON-07 end to end ({f['mon07_verdict']})", f["mon07_s"], 90),
        at_most(f"monitoring, Prometheus refusing: {f['red_verdict']} after", f["red_s"], 15),
        below(
            "peak RSS: pytest -m monitoring",
            pytest_rss_mb(
                "--gateproof-config", str(ctx.settings), "tests/monitoring", "-m", "monitoring"
            ),
            SUITE_RSS_MB,
        ),
    ]


def stack_start(ctx: Context) -> list[Figure]:
    import statistics

    import stack_start as bench

    warm = [bench.one_start(ctx.base_port).total_s for _ in range(3)]
    out = [at_most("stack warm start (median of 3)", statistics.median(warm), bench.TARGET_WARM_S)]
    if not ctx.quick:
        cold = bench.cold_start(ctx.base_port)
        out.append(
            info(
                "stack cold start (LiteLLM venv built from nothing)",
                f"{cold.total_s:.1f} s (venv {cold.venv_s:.1f} s)",
            )
        )
    return out


# The benchmarks, in the order they run: those without a stack first, then the stack's own
# start-up (it starts and stops stacks on the same ports), then those against one running stack.
# Add new figures here (e.g. distributed load from bench/load_engine.py): one Entry each.
ENTRIES: list[Entry] = [
    Entry("plugin start-up", False, plugin_startup),
    Entry("predeploy (reference, 10,000 and 50,000 models)", False, predeploy),
    Entry("stack start", False, stack_start),
    Entry("smoke and gateway down", True, smoke),
    Entry("time to red, one component dead", True, time_to_red),
    Entry("monitoring", True, monitoring),
    Entry("postdeploy and load engine", True, postdeploy),
]


def run_all(ctx: Context, only: list[str]) -> list[tuple[str, list[Figure]]]:
    from gateproof.stack import launcher

    results: list[tuple[str, list[Figure]]] = []
    try:
        for entry in ENTRIES:
            if only and not any(word in entry.title for word in only):
                continue
            if entry.needs_stack and ctx.run_dir is None:
                ctx.run_dir = Path(tempfile.mkdtemp(prefix="gateproof-bench-run-"))
                print(f"starting the reference stack at base port {ctx.base_port}", flush=True)
                launcher.up(
                    ctx.run_dir,
                    REPO / "config",
                    ctx.base_port,
                    REPO / "monitoring",
                    say=lambda _: None,
                )
            print(f"== {entry.title}", flush=True)
            try:
                results.append((entry.title, entry.run(ctx)))
            except Exception as exc:  # one broken benchmark must not hide the other figures
                traceback.print_exc()
                failed = Figure(
                    f"{entry.title}: benchmark failed", f"{type(exc).__name__}: {exc}", "-", False
                )
                results.append((entry.title, [failed]))
    finally:
        if ctx.run_dir is not None:
            launcher.down(ctx.run_dir, say=lambda _: None)
            shutil.rmtree(ctx.run_dir, ignore_errors=True)
    return results


def table(results: list[tuple[str, list[Figure]]], loads: tuple[str, str]) -> list[str]:
    rows = [
        (f.name, f.measured, f.target, {True: "yes", False: "NO", None: "-"}[f.met])
        for _, figures in results
        for f in figures
    ]
    head = ("figure", "measured", "target", "met")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(4)]
    lines = [
        f"load average (1, 5, 15 min) at start {loads[0]}, at end {loads[1]}; "
        f"{os.cpu_count()} cores"
    ]
    lines.append("  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return lines


def markdown(results: list[tuple[str, list[Figure]]], loads: tuple[str, str], quick: bool) -> str:
    when = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out = [
        f"Run `make bench` ({'--quick' if quick else 'full'}) on {when}, {os.cpu_count()} "
        f"cores, Python {sys.version.split()[0]}; load average (1, 5, 15 min) {loads[0]} at "
        f"the start, {loads[1]} at the end.",
        "",
        "| figure | measured | target | met |",
        "|---|---|---|---|",
    ]
    for _, figures in results:
        for f in figures:
            met = {True: "yes", False: "**no**", None: "-"}[f.met]
            out.append(f"| {f.name} | {f.measured} | {f.target} | {met} |")
    return "\n".join(out) + "\n"


def load_average() -> str:
    return ", ".join(f"{v:.2f}" for v in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--quick", action="store_true", help="no 50,000-model run, no cold runs")
    parser.add_argument("--base-port", type=int, default=29300)
    parser.add_argument("--markdown", type=Path, help="also write the table as Markdown here")
    parser.add_argument("--only", nargs="*", default=[], help="entries whose title has a word")
    args = parser.parse_args()
    ctx = Context(quick=args.quick, base_port=args.base_port)
    start_load = load_average()
    results = run_all(ctx, args.only)
    loads = (start_load, load_average())
    print()
    print("\n".join(table(results, loads)))
    busy = max(float(v) for v in loads[0].split(", ") + loads[1].split(", "))
    if busy > 0.5 * (os.cpu_count() or 1):
        print("note: the machine was busy (load average above half its cores): timings are noisy")
    for note in ctx.notes:
        print(f"note: {note}")
    if args.markdown:
        args.markdown.write_text(markdown(results, loads, args.quick), encoding="utf-8")
        print(f"table written to {args.markdown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

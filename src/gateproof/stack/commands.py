"""``gateproof stack up|status|down|fault`` and ``gateproof demo``.

    gateproof stack up --run-dir DIR [--base-port N] [--config-dir DIR] [--monitoring-dir DIR]
                       [--replicas N]
    gateproof stack status --run-dir DIR
    gateproof stack down --run-dir DIR
    gateproof stack restart --run-dir DIR [--replica N] [--config FILE]
                            (one gateway only, on RUN/deployed/ unless --config)
    gateproof stack fault --run-dir DIR --provider NAME [refuse|hang|429|malformed|clear|show]
                          [--latency-ms N] [--error-rate R]
    gateproof demo [--run-dir DIR] [--report-dir DIR]

Also runnable without the console script: ``python -m gateproof.stack.commands stack up ...``.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

from gateproof.errors import GateproofError
from gateproof.stack import launcher, process
from gateproof.stack.layout import DEFAULT_BASE_PORT, RunDir
from gateproof.stack.litellm_env import VenvError
from gateproof.stack.settings_out import suite_argv

FAULT_ACTIONS = ("refuse", "hang", "429", "malformed", "clear", "show")


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    stack = subparsers.add_parser("stack", help="run the embedded reference deployment")
    sub = stack.add_subparsers(dest="stack_command", metavar="ACTION", required=True)

    up = sub.add_parser("up", help="start every component and write RUN/settings.yaml")
    _run_dir(up)
    up.add_argument(
        "--base-port",
        type=int,
        default=DEFAULT_BASE_PORT,
        help=f"first port of the stack's range (default {DEFAULT_BASE_PORT})",
    )
    up.add_argument(
        "--config-dir",
        type=Path,
        default=Path("config"),
        help="source of truth to copy (default config/)",
    )
    up.add_argument(
        "--monitoring-dir",
        type=Path,
        default=None,
        help="alert rules come from DIR/prometheus/rules (default: beside config)",
    )
    up.add_argument(
        "--replicas",
        type=int,
        default=1,
        help="gateway processes sharing the config, Redis and master key (default 1)",
    )
    up.set_defaults(func=cmd_up)

    status = sub.add_parser("status", help="table of components: pid, port, healthy?")
    _run_dir(status)
    status.set_defaults(func=cmd_status)

    down = sub.add_parser("down", help="stop every process the stack started")
    _run_dir(down)
    down.set_defaults(func=cmd_down)

    restart = sub.add_parser(
        "restart", help="restart the gateway on the deployed config (after a deploy or rollback)"
    )
    _run_dir(restart)
    restart.add_argument(
        "--replica", type=int, default=1, help="which gateway replica (default 1, gateway.url)"
    )
    restart.add_argument(
        "--config",
        type=Path,
        default=None,
        help="start it on FILE instead of the deployed config (makes the replica differ)",
    )
    restart.set_defaults(func=cmd_restart)

    fault = sub.add_parser("fault", help="switch a stand-in provider's faults")
    _run_dir(fault)
    fault.add_argument("--provider", required=True, help="provider name from providers.yaml")
    fault.add_argument("action", nargs="?", default="show", choices=FAULT_ACTIONS)
    fault.add_argument("--latency-ms", type=int, default=None)
    fault.add_argument("--error-rate", type=float, default=None)
    fault.set_defaults(func=cmd_fault)

    from gateproof.stack.demo import register_demo

    register_demo(subparsers)


def _run_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--run-dir", type=Path, required=True, help="the stack's run directory")


def cmd_up(args: argparse.Namespace) -> int:
    config_dir: Path = args.config_dir
    monitoring_dir: Path = args.monitoring_dir or config_dir.resolve().parent / "monitoring"
    if not (config_dir / "providers.yaml").is_file():
        print(f"error: {config_dir}/providers.yaml not found (give --config-dir)", file=sys.stderr)
        return 2
    run_root = RunDir.at(args.run_dir).root
    if run_root.exists() and not run_root.is_dir():
        print(f"error: --run-dir {run_root} is a file; give a directory", file=sys.stderr)
        return 2
    print(f"starting the reference stack in {run_root} (ports {args.base_port}..)")
    try:
        with process.interrupt_on_stop_signals():  # SIGTERM too: stop what had started
            state = launcher.up(
                args.run_dir, config_dir, args.base_port, monitoring_dir, replicas=args.replicas
            )
    except (GateproofError, launcher.StackError, VenvError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # e.g. the run dir is a file or not writable
        print(f"error: {exc.strerror or exc}: {exc.filename or run_root}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: stopped what had started", file=sys.stderr)
        return 130
    run = RunDir.at(args.run_dir)
    print(f"stack up in {state.total_s:.1f} s; settings: {run.settings}")
    for name in ("litellm", "prometheus", "alertmanager", "grafana", "loki"):
        url = next((c.url for c in state.components if c.name == name), None)
        if url:
            kind = " (stand-in)" if component_kind(name) == "stand-in" else ""
            print(f"  {name:<13} {url}{kind}")
    for replica in state.components:
        if replica.name.startswith("litellm-"):
            print(f"  {replica.name:<13} {replica.url} (replica; gateway.replicas)")
    print(f"  secrets       {run.secrets} (0600)")
    for command in next_steps(run):
        print(f"  {command}")
    return 0


def next_steps(run: RunDir) -> list[str]:
    """The commands ``stack up`` prints, quoted so they work when pasted as printed."""
    return [
        shlex.join(suite_argv(run.settings)),
        shlex.join(["gateproof", "stack", "down", "--run-dir", str(run.root)]),
    ]


def component_kind(name: str) -> str:
    """What a component is: the real program, a stand-in speaking its API, or a helper."""
    if name.startswith("standin-") or name in ("grafana", "loki"):
        return "stand-in"
    if name in ("webhook", "log-shipper"):
        return "helper"
    return "real"


def cmd_status(args: argparse.Namespace) -> int:
    state, rows = launcher.status_rows(args.run_dir)
    if state is None:
        print(f"no stack recorded in {RunDir.at(args.run_dir).root}")
        return 1
    header = ("COMPONENT", "PID", "PORT", "HEALTHY", "KIND")
    table = [(*row, component_kind(row[0])) for row in rows]
    widths = [max(len(r[i]) for r in [header, *table]) for i in range(5)]
    unhealthy = [r[0] for r in rows if r[3] != "yes"]
    summary = state.status
    if state.status == "up" and unhealthy:
        summary = f"up, but {len(unhealthy)} of {len(rows)} components unhealthy"
    print(f"stack in {state.run_dir}: {summary}")
    for row in [header, *table]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    if state.status == "up" and unhealthy:
        logs = {c.name: c.log for c in state.components}
        for name in unhealthy:
            print(f"  {name}: see {logs[name]}")
        down = ["gateproof", "stack", "down", "--run-dir", str(state.run_dir)]
        up = ["gateproof", "stack", "up", "--run-dir", str(state.run_dir)]
        up += ["--base-port", str(state.base_port), "--config-dir", str(state.source_dir)]
        up += ["--replicas", str(state.replicas)] if state.replicas > 1 else []
        print(f"  To restart: {shlex.join(down)} && {shlex.join(up)}")
    return 0 if rows and not unhealthy else 1


def cmd_down(args: argparse.Namespace) -> int:
    return launcher.down(args.run_dir)


def cmd_restart(args: argparse.Namespace) -> int:
    from gateproof.stack.restart import RestartError, restart_gateway

    try:
        with process.interrupt_on_stop_signals():
            restart_gateway(args.run_dir, replica=args.replica, config=args.config)
    except RestartError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: the gateway may be down; `stack status` shows it", file=sys.stderr)
        return 130
    return 0


def cmd_fault(args: argparse.Namespace) -> int:
    from gateproof.stack.standin.control import StandinControl, StandinControlError

    state = launcher.StackState.load(RunDir.at(args.run_dir))
    part = (
        next((c for c in state.components if c.name == f"standin-{args.provider}"), None)
        if state
        else None
    )
    if part is None or len(part.ports) < 2:
        print(f"error: no stand-in {args.provider!r} recorded in {args.run_dir}", file=sys.stderr)
        return 2
    control = StandinControl(f"http://127.0.0.1:{part.ports[1]}")
    try:
        if args.action == "clear":
            faults = control.clear()
        else:
            faults = control.set_faults(
                refuse=True if args.action == "refuse" else None,
                hang=True if args.action == "hang" else None,
                status_429=True if args.action == "429" else None,
                malformed=True if args.action == "malformed" else None,
                latency_ms=args.latency_ms,
                error_rate=args.error_rate,
            )
    except StandinControlError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps({"provider": args.provider, "faults": faults}, sort_keys=True))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gateproof")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())

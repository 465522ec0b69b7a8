"""Run one stand-in provider until SIGTERM or SIGINT.

    python -m gateproof.stack.standin --name ollama --type ollama \\
        --host 127.0.0.1 --port 24110 --control-port 24210 \\
        --model llama3.1:latest --model qwen2.5-coder:7b [--api-key-env OLLAMA_API_KEY]

Prints one ``ready`` line once both ports serve, then one line per provider request.
Exit codes: 0 stopped by a signal, 1 a port could not be bound, 2 bad arguments.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from types import FrameType

from gateproof.stack.standin.server import StandinThread
from gateproof.stack.standin.spec import PROVIDER_TYPES, StandinSpec


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m gateproof.stack.standin",
        description="A stand-in LLM provider (Ollama or OpenAI API) with a fault control API.",
    )
    parser.add_argument("--name", required=True, help="provider name, shown in every reply")
    parser.add_argument("--type", required=True, choices=PROVIDER_TYPES, help="wire protocol")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True, help="provider API port (0: any)")
    parser.add_argument("--control-port", type=int, required=True, help="control API port")
    parser.add_argument(
        "--model", action="append", required=True, help="a model id the provider serves (repeat)"
    )
    parser.add_argument(
        "--api-key-env", metavar="ENVVAR", help="require 'Authorization: Bearer $ENVVAR'"
    )
    return parser


def _log(line: str) -> None:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
    sys.stdout.write(f"{stamp} {line}\n")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    api_key: str | None = None
    if args.api_key_env:
        api_key = os.environ.get(args.api_key_env)
        if not api_key:
            print(
                f"standin: environment variable {args.api_key_env} is empty or unset",
                file=sys.stderr,
            )
            return 2
    try:
        spec = StandinSpec(
            name=args.name,
            type=args.type,
            models=tuple(args.model),
            api_key=api_key,
            host=args.host,
            port=args.port,
            control_port=args.control_port,
        )
    except ValueError as exc:
        print(f"standin: {exc}", file=sys.stderr)
        return 2

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    runner = StandinThread(spec, log=_log)
    try:
        server = runner.start()
    except OSError as exc:
        print(f"standin {spec.name}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    _log(
        f"standin={spec.name} ready type={spec.type} port={server.port} "
        f"control_port={server.control_port} models={','.join(spec.models)}"
    )
    while not stop.wait(0.5):
        pass
    runner.stop()
    _log(f"standin={spec.name} stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())

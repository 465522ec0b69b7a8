"""The ``gateproof`` command: source-of-truth and reference-stack subcommands."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from gateproof import __version__

# Each module adds its own subparsers and sets ``func`` (args -> exit code).
COMMAND_MODULES = (
    "gateproof.config_commands",
    "gateproof.stack.commands",
    "gateproof.release.command",
    "gateproof.scaffold.commands",
    "gateproof.watch.command",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gateproof",
        description="Acceptance checks for LLM gateway deployments. The checks run under "
        "pytest: `gateproof run PHASES` in a deployment repository (`gateproof scaffold DIR` "
        "writes one), or `pytest -m PHASE` in gateproof's checkout; the other commands manage "
        "the source of truth and the embedded reference deployment.",
    )
    parser.add_argument("--version", action="version", version=f"gateproof {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if not exc.name or not name.startswith(exc.name):  # an import error inside: show it
                raise
            continue
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 0 if args.command is None else 2
    result: int = func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())

"""PRE-TST-01 config coverage: which active models, providers and fallback chains the acceptance
suite exercises.

A test exercises what it is parametrized over. The convention, shared with the plugin's
parametrization, is a test id part ``provider=NAME``, ``model=NAME`` or ``chain=NAME`` (as in
``test_routes[provider=ollama]`` or ``test_falls_back[chain=default]``). The suite is collected
(``pytest --collect-only``, nothing runs) in a child process with the same gateproof options, so
the figure is the same whether this check runs alone (``pytest -m predeploy tests/unit``) or in
a full run, and it counts every phase: what the smoke and postdeploy tests will exercise is
known before the deployment.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from gateproof.errors import ProbeError

KINDS = ("provider", "model", "chain")
_TOKEN = re.compile(r"(?:^|-)(provider|model|chain)=(.+?)(?=-(?:provider|model|chain)=|$)")
# Options that must not reach the child: it must not write a record of its own.
_DROP = ("--gateproof-record",)


@dataclass
class Exercised:
    names: dict[str, set[str]] = field(default_factory=lambda: {k: set() for k in KINDS})
    tests: int = 0

    @property
    def models(self) -> set[str]:
        return self.names["model"]

    @property
    def providers(self) -> set[str]:
        return self.names["provider"]

    @property
    def chains(self) -> set[str]:
        return self.names["chain"]


def from_node_ids(node_ids: Iterable[str]) -> Exercised:
    """Names in the ``[...]`` part of node ids, by kind."""
    found = Exercised()
    for node_id in node_ids:
        if not node_id.endswith("]") or "[" not in node_id:
            continue
        params = node_id[node_id.index("[") + 1 : -1]
        tokens = _TOKEN.findall(params)
        if tokens:
            found.tests += 1
        for kind, name in tokens:
            found.names[kind].add(name)
    return found


def passthrough_args(args: Sequence[str]) -> list[str]:
    """The ``--gateproof-*`` options of an invocation (with their values), minus _DROP."""
    out: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        takes_value = "=" not in arg and index + 1 < len(args)
        value_next = takes_value and not args[index + 1].startswith("-")
        if arg.startswith("--gateproof-") and arg.split("=")[0] not in _DROP:
            out.append(arg)
            if value_next:
                out.append(args[index + 1])
        if arg.startswith("--gateproof-") and value_next:
            index += 1
        index += 1
    return out


def collect_suite(
    rootdir: Path, suite_dirs: Sequence[str], options: Sequence[str], timeout_s: float = 180
) -> list[str]:
    """Node ids of the acceptance suite, collected (not run) in a child pytest."""
    env = {k: v for k, v in os.environ.items() if k != "GATEPROOF_RECORD"}
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "--collect-only",
        "-q",
        "-p",
        "no:cacheprovider",
        "--rootdir",
        str(rootdir),
        *[str(rootdir / d) for d in suite_dirs],
        *options,
    ]
    try:
        done = subprocess.run(
            cmd,
            cwd=rootdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ProbeError(
            f"collecting the suite took over {timeout_s:g} s", target=" ".join(cmd)
        ) from None
    if done.returncode not in (0, 5):  # 5: nothing collected
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise ProbeError(
            f"collecting the suite failed (exit {done.returncode}):\n{tail}",
            target=" ".join(cmd),
            hint="run the command above to see why",
        )
    return [line.strip() for line in done.stdout.splitlines() if "::" in line]

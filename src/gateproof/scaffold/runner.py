"""``gateproof run PHASE[,PHASE...] [PYTEST_ARGS]``: the shipped acceptance suite plus the
team's own checks, against the repository in the current directory.

What it runs is plain pytest, printed before it starts:

* the suite's installed directory and the team's check folders as the paths to collect,
  ``-m "PHASE or ..."`` for the phases;
* the repository's pytest config (``-c``) and ``--rootdir`` through ``PYTEST_ADDOPTS``, so the
  child pytest that PRE-TST-01 starts to collect the suite reads the same file (with the suite
  in site-packages, pytest would otherwise look for a config file above the suite);
* ``gateproof_suite_dirs`` overridden to the suite and the check folders, so PRE-TST-01 counts
  what both exercise and both are held to the marker rules;
* the record, the HTML report and the JUnit XML into ``--out`` (default ``records/PHASES``),
  each unless the pytest arguments name their own.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from gateproof.checklist import PHASES
from gateproof.scaffold.shipped import suite_dir

# pytest config files, in the order pytest itself prefers them, and the section each must hold
INI_FILES = (
    ("pytest.toml", ""),  # pytest >= 9
    (".pytest.toml", ""),
    ("pytest.ini", ""),
    (".pytest.ini", ""),
    ("pyproject.toml", "[tool.pytest"),  # [tool.pytest.ini_options], or [tool.pytest] (>= 9)
    ("tox.ini", "[pytest]"),
    ("setup.cfg", "[tool:pytest]"),
)


class RunError(Exception):
    """The command cannot be built; the message says what to fix."""


@dataclass
class Invocation:
    argv: list[str]
    env: dict[str, str]
    cwd: Path

    def shown(self) -> str:
        addopts = self.env.get("PYTEST_ADDOPTS", "")
        return f"PYTEST_ADDOPTS={shlex.quote(addopts)} {shlex.join(self.argv)}"


def parse_phases(text: str) -> list[str]:
    phases = [p.strip() for p in text.split(",") if p.strip()]
    wrong = [p for p in phases if p not in PHASES]
    if not phases or wrong:
        raise RunError(
            f"phase {text!r}: give one or more of {', '.join(PHASES)}, separated by commas"
        )
    return phases


def pytest_config_file(repo: Path) -> Path:
    for name, section in INI_FILES:
        path = repo / name
        if path.is_file() and (not section or section in path.read_text("utf-8", "replace")):
            return path
    raise RunError(
        f"no pytest config in {repo} (pytest.ini with `gateproof = true`): run the command in "
        f"the deployment repository, or create one with `gateproof scaffold DIR`"
    )


def _names_option(args: Sequence[str], *options: str) -> bool:
    return any(a == o or a.startswith(o + "=") for a in args for o in options)


def invocation(
    phases: list[str],
    repo: Path,
    checks: Sequence[str],
    out: Path | None,
    pytest_args: Sequence[str],
    environ: dict[str, str] | None = None,
) -> Invocation:
    repo = repo.resolve()
    suite = suite_dir()
    ini = pytest_config_file(repo)
    team = [c for c in checks if (repo / c).is_dir()]
    argv = [sys.executable, "-m", "pytest", str(suite), *team, "-m", " or ".join(phases)]
    argv += ["-o", "gateproof_suite_dirs=" + "\n".join([str(suite), *team])]
    if out is None:
        out = Path("records") / "-".join(phases)
    if not _names_option(pytest_args, "--gateproof-record"):
        argv += ["--gateproof-record", str(out)]
    if not _names_option(pytest_args, "--html"):
        argv += ["--html", str(out / "report.html"), "--self-contained-html"]
    if not _names_option(pytest_args, "--junitxml", "--junit-xml"):
        argv += ["--junitxml", str(out / "junit.xml")]
    argv += list(pytest_args)
    env = dict(os.environ if environ is None else environ)
    ours = shlex.join(["-c", str(ini), "--rootdir", str(repo)])
    env["PYTEST_ADDOPTS"] = f"{ours} {env.get('PYTEST_ADDOPTS', '')}".strip()
    return Invocation(argv, env, repo)


def run(call: Invocation) -> int:
    print(f"gateproof run: {call.shown()}", flush=True)
    return subprocess.run(call.argv, env=call.env, cwd=call.cwd, check=False).returncode

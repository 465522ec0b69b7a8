"""One-line answers from git about a directory, or None where git cannot say."""

from __future__ import annotations

import subprocess
from pathlib import Path


def git_line(directory: Path, *args: str, timeout: float = 10) -> str | None:
    """The first line git prints for ``args`` run in ``directory``; None on any failure."""
    if not directory.is_dir():
        return None
    try:
        done = subprocess.run(
            ["git", "-C", str(directory), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = done.stdout.strip().splitlines()
    return lines[0] if done.returncode == 0 and lines else None


def toplevel(directory: Path) -> Path | None:
    """The git work tree holding ``directory``, if it is in one."""
    line = git_line(directory, "rev-parse", "--show-toplevel")
    return Path(line) if line else None


def short_revision(directory: Path) -> str | None:
    return git_line(directory, "rev-parse", "--short=12", "HEAD")


def describe_revision(directory: Path) -> str:
    """``commit abc123def456`` with ``, uncommitted changes`` when the tree differs from it;
    what a table of results was measured on."""
    revision = short_revision(directory)
    if revision is None:
        return "not a git checkout"
    dirty = git_line(directory, "status", "--porcelain", "--untracked-files=no")
    return f"commit {revision}" + (", uncommitted changes" if dirty else "")

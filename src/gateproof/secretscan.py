"""PRE-SEC-05: scan every version of every file in a git repository's history for secrets.

A secret that was committed and removed later is still in the history (and in every clone),
so the tree alone is not enough. Each distinct file version (blob) reachable from any ref is
scanned once with the detect-secrets plugins and filters (``# pragma: allowlist secret`` on a
line is honoured); a finding names the first commit that carried it, the file, the line and
the kind, never the value.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from gateproof.errors import ProbeError

MAX_BLOB_BYTES = 2 * 1024 * 1024
ZERO = "0" * 40
# Values the keyword detector flags that are not secrets: references resolved at run time and
# the placeholders local servers get where a client insists on some key.
_REFERENCE = re.compile(r"^os\.environ/[A-Za-z_][A-Za-z0-9_]*$")
PLACEHOLDERS = frozenset(
    {"no-key-required", "unused", "not-needed", "fake-api-key", "none", "null", "true", "false"}
)


# A value this short is a test fixture ("pw", "k"), not a credential anyone could use; the
# keyword detector flags any `password = "..."`, so without this the scan cries wolf on tests.
MIN_SECRET_CHARS = 4


def is_placeholder(value: str) -> bool:
    stripped = value.strip()
    return (
        bool(_REFERENCE.match(stripped))
        or stripped.lower() in PLACEHOLDERS
        or len(stripped) < MIN_SECRET_CHARS
    )


@dataclass(frozen=True)
class SecretFinding:
    commit: str
    file: str
    line: int
    kind: str
    masked: str

    def __str__(self) -> str:
        return f"commit {self.commit[:12]} {self.file}:{self.line}: {self.kind} ({self.masked})"


def mask(value: str) -> str:
    """Enough to recognise a value you already know, not enough to use it."""
    return f"{value[:2]}***, {len(value)} chars" if len(value) >= 16 else f"***, {len(value)} chars"


def _git(repo: Path, *args: str, stdin: bytes | None = None, timeout: float = 120) -> bytes:
    try:
        done = subprocess.run(
            ["git", "-C", str(repo), "-c", "core.quotepath=off", *args],
            input=stdin,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ProbeError(f"git {args[0]} failed: {exc}", target=str(repo)) from None
    if done.returncode != 0:
        raise ProbeError(
            f"git {args[0]} failed: {done.stderr.decode(errors='replace').strip()}",
            target=str(repo),
            hint="the config dir must be inside a git work tree",
        )
    return done.stdout


def repo_root(path: Path) -> Path:
    return Path(_git(path, "rev-parse", "--show-toplevel").decode().strip())


def _blob_versions(repo: Path) -> Iterator[tuple[str, str, str]]:
    """(commit, path, blob) for every file version added or changed, oldest commit first."""
    log = _git(
        repo,
        "log",
        "--all",
        "--reverse",
        "--no-renames",
        "--raw",
        "--no-abbrev",
        "--diff-merges=first-parent",
        "--format=@@@%H",
    ).decode("utf-8", "replace")
    commit = ""
    for line in log.splitlines():
        if line.startswith("@@@"):
            commit = line[3:]
        elif line.startswith(":"):
            meta, _, path = line.partition("\t")
            fields = meta.split()
            blob, status = fields[3], fields[4]
            if blob != ZERO and not status.startswith("D"):
                if path.startswith('"') and path.endswith('"'):
                    path = path[1:-1].encode("latin-1", "replace").decode("unicode_escape")
                yield commit, path, blob


def _read_blobs(repo: Path, blobs: list[str]) -> dict[str, bytes]:
    """Contents of the text-sized blobs, via one `git cat-file --batch`."""
    if not blobs:
        return {}
    sizes = _git(repo, "cat-file", "--batch-check", stdin="\n".join(blobs).encode() + b"\n")
    wanted = []
    for row in sizes.decode().splitlines():
        parts = row.split()
        if len(parts) == 3 and parts[1] == "blob" and int(parts[2]) <= MAX_BLOB_BYTES:
            wanted.append(parts[0])
    out = _git(repo, "cat-file", "--batch", stdin="\n".join(wanted).encode() + b"\n")
    contents: dict[str, bytes] = {}
    pos = 0
    while pos < len(out):
        end = out.index(b"\n", pos)
        sha, _kind, size = out[pos:end].decode().split()
        start = end + 1
        contents[sha] = out[start : start + int(size)]
        pos = start + int(size) + 1
    return contents


def scan_history(repo: Path) -> list[SecretFinding]:
    """Every secret in any version of any file of ``repo``'s history, first sighting each."""
    from detect_secrets.core.scan import _process_line_based_plugins
    from detect_secrets.settings import default_settings

    versions = list(_blob_versions(repo))
    first: dict[str, tuple[str, str]] = {}
    for commit, path, blob in versions:
        first.setdefault(blob, (commit, path))
    contents = _read_blobs(repo, list(first))
    findings: list[SecretFinding] = []
    seen: set[tuple[str, str]] = set()
    with default_settings():
        for blob, (commit, path) in first.items():
            data = contents.get(blob)
            if data is None or b"\0" in data[:8192]:
                continue  # too big or binary
            lines = data.decode("utf-8", "replace").splitlines()
            for secret in _process_line_based_plugins(list(enumerate(lines, 1)), path):
                key = (path, secret.secret_hash)
                if key in seen or is_placeholder(secret.secret_value or ""):
                    continue
                seen.add(key)
                findings.append(
                    SecretFinding(
                        commit=commit,
                        file=path,
                        line=secret.line_number,
                        kind=secret.type,
                        masked=mask(secret.secret_value or ""),
                    )
                )
    return findings

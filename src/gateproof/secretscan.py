"""PRE-SEC-05: scan every version of every file in a git repository's history for secrets.

A secret that was committed and removed later is still in the history (and in every clone),
so the tree alone is not enough. Each distinct file version (blob) reachable from any ref is
scanned once with the detect-secrets plugins and filters (``# pragma: allowlist secret`` on a
line is honoured); a finding names the first commit that carried it, the file, the line and
the kind, never the value.

What a blob yields never changes (its content is its sha), so the result per blob is cached in
``${XDG_CACHE_HOME:-~/.cache}/gateproof/secretscan/``, keyed by blob sha and file suffix (the
detect-secrets plugins read the file type from it) in a file named after the detect-secrets
version and our filter revision: a second run scans only blobs it has not seen. The cache holds
line numbers, kinds, masked values and truncated hashes, never a value.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import os
import re
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from gateproof.errors import ProbeError
from gateproof.schema.base import ALMOST_REF, PLACEHOLDERS, SECRET_REF

MAX_BLOB_BYTES = 2 * 1024 * 1024
ZERO = "0" * 40
# Bump when the filtering below changes what a blob yields: older cache files are then ignored.
FILTER_REVISION = 4
# Values the keyword detector flags that are not secrets (besides references): PLACEHOLDERS,
# the values local servers get where a client insists on some key.


# A value this short is a test fixture ("pw", "k"), not a credential anyone could use; the
# keyword detector flags any `password = "..."`, so without this the scan cries wolf on tests.
MIN_SECRET_CHARS = 4


# A hex value on a line that labels it a digest or an id is one (the generator's version record
# and backup manifests are full of "sha256": "<64 hex>"), not a credential.
_DIGEST_LINE = re.compile(r"(sha\d*|digest|checksum|hash|commit|revision)\w*[\"']?\s*[:=]", re.I)
_HEX_KIND = "Hex High Entropy String"


# Shapes documentation uses for "put your key here": never a real credential.
_PLACEHOLDER_SHAPE = re.compile(
    r"^<[^>]*>$|^\$\{?[A-Z_]+\}?$|your[-_ ]?(api[-_ ]?)?(key|token|secret|password)|example"
    r"|placeholder|changeme|change[-_]me|redacted|dummy|x{6,}|\*{3,}|\.{3}",
    re.IGNORECASE,
)
BASELINE_FILE = ".secrets.baseline"
_CANDIDATE = re.compile(
    r"[A-Za-z0-9+/=_.~-]{16,}|key|pass|pwd|secret|token|auth|cred|private|://[^/\s]*@",
    re.IGNORECASE,
)


def is_placeholder(value: str) -> bool:
    """References (also misspelt ones such as ``os.environ.NAME``: a config error PRE-CFG-01
    reports, but the value is a variable name, not a credential) and placeholders."""
    stripped = value.strip()
    return (
        bool(SECRET_REF.match(stripped) or ALMOST_REF.match(stripped))
        or stripped.lower() in PLACEHOLDERS
        or bool(_PLACEHOLDER_SHAPE.search(stripped))
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


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "gateproof" / "secretscan"


# One finding of one blob: line, kind, masked value, value hash (to report a value once per file).
Hit = tuple[int, str, str, str]


class BlobCache:
    """Findings per (blob sha, file suffix), persisted as one JSON file. A missing, unreadable
    or malformed file (or entry) is a miss: it is rebuilt, never trusted."""

    def __init__(self, directory: Path | None) -> None:
        version = importlib.metadata.version("detect-secrets")
        name = f"blobs-detect-secrets-{version}-r{FILTER_REVISION}.json"
        self.path = directory / name if directory is not None else None
        self.entries: dict[str, object] = self._load()
        self.added = 0

    def _load(self) -> dict[str, object]:
        if self.path is None:
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        blobs = data.get("blobs") if isinstance(data, dict) else None
        return blobs if isinstance(blobs, dict) else {}

    def get(self, key: str) -> list[Hit] | None:
        value = self.entries.get(key)
        if not isinstance(value, list):
            return None
        hits: list[Hit] = []
        for item in value:
            if not (isinstance(item, list) and len(item) == 4 and isinstance(item[0], int)):
                return None
            if not all(isinstance(part, str) for part in item[1:]):
                return None
            hits.append((item[0], item[1], item[2], item[3]))
        return hits

    def put(self, key: str, hits: list[Hit]) -> None:
        self.entries[key] = [list(hit) for hit in hits]
        self.added += 1

    def save(self) -> None:
        """Atomic (temp file + rename); a cache that cannot be written only costs time."""
        if self.path is None or not self.added:
            return
        data = json.dumps({"blobs": self.entries}, separators=(",", ":")).encode()
        with contextlib.suppress(OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".blobs.", suffix=".tmp", dir=self.path.parent)
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                os.replace(tmp, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise


@dataclass(frozen=True)
class HistoryScan:
    findings: list[SecretFinding]
    blobs: int  # distinct file versions in the history
    scanned: int  # of which were not in the cache and were read and scanned now


def _scan_blob(data: bytes, path: str) -> list[Hit]:
    from detect_secrets.core.scan import _process_line_based_plugins

    if b"\0" in data[:8192]:
        return []  # binary
    lines = data.decode("utf-8", "replace").splitlines()
    hits: list[Hit] = []
    # Only lines some detector could flag: a keyword, a URL with userinfo, a key header, or a
    # long token (every pattern and entropy detector needs 16+ such characters). A 10,000-model
    # config is 100,000 lines of names and numbers: this keeps its first scan to seconds.
    candidates = [(n, text) for n, text in enumerate(lines, 1) if _CANDIDATE.search(text)]
    for secret in _process_line_based_plugins(candidates, path):
        value = secret.secret_value or ""
        if is_placeholder(value):
            continue
        line = lines[secret.line_number - 1] if 0 < secret.line_number <= len(lines) else ""
        if secret.type == _HEX_KIND and _DIGEST_LINE.search(line):
            continue
        # sha1 is what a detect-secrets baseline records (hashed_secret): it can be honoured
        hits.append((secret.line_number, secret.type, mask(value), secret.secret_hash))
    return hits


def scan_history_detailed(repo: Path, cache_dir: Path | None = None) -> HistoryScan:
    """Every secret in any version of any file of ``repo``'s history, first sighting each.
    ``cache_dir`` defaults to :func:`default_cache_dir`."""
    first: dict[str, tuple[str, str]] = {}
    for commit, path, blob in _blob_versions(repo):
        if os.path.basename(path) != BASELINE_FILE:  # its hashes are not secrets
            first.setdefault(blob, (commit, path))
    accepted = read_baseline(repo)
    cache = BlobCache(cache_dir or default_cache_dir())
    per_blob: dict[str, list[Hit]] = {}
    todo: list[str] = []
    for blob, (_commit, path) in first.items():
        hits = cache.get(_key(blob, path))
        if hits is None:
            todo.append(blob)
        else:
            per_blob[blob] = hits
    if todo:
        from detect_secrets.settings import default_settings

        contents = _read_blobs(repo, todo)
        with default_settings():
            for blob in todo:
                path = first[blob][1]
                data = contents.get(blob)
                per_blob[blob] = [] if data is None else _scan_blob(data, path)  # None: too big
                cache.put(_key(blob, path), per_blob[blob])
        cache.save()
    findings: list[SecretFinding] = []
    seen: set[tuple[str, str]] = set()
    for blob, (commit, path) in first.items():
        for line, kind, masked, digest in per_blob[blob]:
            if (path, digest) in accepted:
                continue  # audited in the repository's .secrets.baseline
            if (path, digest) not in seen:
                seen.add((path, digest))
                findings.append(SecretFinding(commit, path, line, kind, masked))
    return HistoryScan(findings, blobs=len(first), scanned=len(todo))


def read_baseline(repo: Path) -> set[tuple[str, str]]:
    """(file, hashed_secret) of every result a detect-secrets ``.secrets.baseline`` at the top
    of the work tree lists; no file (or an unreadable one) accepts nothing."""
    try:
        data = json.loads((repo / BASELINE_FILE).read_text(encoding="utf-8"))
        results = data["results"]
        return {
            (str(file), str(item["hashed_secret"]))
            for file, items in results.items()
            for item in items
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return set()


def _key(blob: str, path: str) -> str:
    return blob + os.path.splitext(path)[1]


def scan_history(repo: Path, cache_dir: Path | None = None) -> list[SecretFinding]:
    return scan_history_detailed(repo, cache_dir).findings

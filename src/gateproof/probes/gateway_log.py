"""The gateway's log since it started: structured (LiteLLM ``JSON_LOGS``) and plain-text
records alike, read on the gateway host through testinfra (a file or the systemd journal).

What it returns is evidence, not a verdict: the records in the window, the error records
(JSON ``level`` ERROR/CRITICAL/FATAL, plain ``ERROR:``/``CRITICAL`` lines, Python tracebacks),
the client-caused ones set apart, and whether the run's own tagged request reached the log.
That last one is what makes the scan trustworthy: a log rotated without reopen, a wrong path
or a gateway that logs elsewhere all leave the file without the request the run just made.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shlex
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gateproof.errors import ProbeError
from gateproof.probes import hosts

LOG_TAIL_BYTES = 5_000_000  # enough for days of a quiet gateway; bounded for a noisy one
BAD_LEVELS = ("ERROR", "CRITICAL", "FATAL")
# LiteLLM logs these at ERROR although the gateway is fine: the client sent no key or a wrong
# one (gateproof's own auth check does), asked for a model that does not exist, sent a bad
# request, asked for a mock failure on purpose (gateproof's fallback check), or went over a
# model's configured rpm (the router enforcing it, as PST-04 checks).
CLIENT_CAUSED = (
    "user_api_key_auth(): Exception occured",
    "No api key passed in",
    "No connected db.",
    "Authentication Error",
    "Invalid proxy server token",
    "Invalid model name passed in",
    "Missing required parameter",
    "This is a mock exception for model=",
    "litellm.RateLimitError: Model rate limit exceeded.",
)
# "... Exception occured - litellm_call_id=... - 400: {...}": a client status in the message.
CLIENT_STATUS = re.compile(r" - (400|401|403|404|413|422): ")
PLAIN_LEVEL = re.compile(
    r"^(?:\S+\s+){0,4}?[\[(]?(ERROR|CRITICAL|FATAL)[\])]?(?::|\s-|\s|$)|"
    r"\blevel=\"?(error|critical|fatal)\b",
    re.IGNORECASE,
)
PLAIN_STAMP = re.compile(r"^\[?(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2})")
TRACEBACK = "Traceback (most recent call last):"


@dataclass
class LogScan:
    """Records of the gateway's log at or after ``since``."""

    path: str
    exists: bool
    records: int = 0  # JSON and plain-text records in the window
    errors: list[str] = field(default_factory=list)  # stamp/level + message excerpts
    client_caused: int = 0  # error records caused by clients (CLIENT_CAUSED), not counted
    tag_found: bool = False  # the run's tagged request appears in the window
    waited_s: float = 0.0

    def describe(self) -> str:
        return (
            f"{self.path}: {self.records} record(s) in the window, {len(self.errors)} error(s), "
            f"{self.client_caused} client-caused error(s) not counted, run's tagged request "
            f"{'found' if self.tag_found else 'NOT found'}"
        )


def file_scan(host: Any, path: Path, since: float, tag: str, wait_s: float = 3.0) -> LogScan:
    """Scan the file ``path`` on ``host``; wait up to ``wait_s`` for ``tag`` to be written."""
    quoted = shlex.quote(str(path))
    began = time.monotonic()
    while True:
        result = hosts.run(host, f"test -f {quoted} && tail -c {LOG_TAIL_BYTES} {quoted}")
        if result.rc != 0:
            return LogScan(str(path), False)
        scan = scan_lines(str(path), str(result.stdout).splitlines(), since, tag, windowed=False)
        scan.waited_s = time.monotonic() - began
        if scan.tag_found or scan.waited_s >= wait_s:
            return scan
        time.sleep(0.5)


def journal_scan(host: Any, unit: str, since: float, tag: str, wait_s: float = 3.0) -> LogScan:
    """Scan the systemd journal of ``unit`` since ``since`` (every priority, message text)."""
    command = f"journalctl -u {shlex.quote(unit)} --since @{int(since)} -o cat --no-pager -q"
    began = time.monotonic()
    while True:
        result = hosts.run(host, command)
        if result.rc != 0:
            raise ProbeError(
                f"journalctl failed on {hosts.host_name(host)}: {result.stderr.strip()[:200]}",
                target=hosts.host_name(host),
                setting="gateway.service_name",
                hint="set gateway.log_path to the gateway's log file instead",
            )
        lines = str(result.stdout).splitlines()
        scan = scan_lines(f"journal of {unit}", lines, since, tag, windowed=True)
        scan.waited_s = time.monotonic() - began
        if scan.tag_found or scan.waited_s >= wait_s:
            return scan
        time.sleep(0.5)


def scan_lines(where: str, lines: list[str], since: float, tag: str, *, windowed: bool) -> LogScan:
    """Classify ``lines``. ``windowed``: every line is already in the window (the journal).

    A line without a time stamp (a traceback, a plain print) belongs to the window of the last
    stamped line before it; in a log with no stamped line at all, every line counts."""
    scan = LogScan(where, True)
    threshold = dt.datetime.fromtimestamp(since)  # LiteLLM stamps naive local time
    stamped = windowed or any(_stamp_of(line) for line in lines[:200] + lines[-200:])
    inside = windowed or not stamped
    i = 0
    while i < len(lines):
        line = lines[i]
        record = _json_record(line)
        stamp = _stamp_of(line, record)
        if stamp is not None and not windowed:
            inside = stamp >= threshold
        if not inside or not line.strip():
            i += 1
            continue
        scan.records += 1
        scan.tag_found = scan.tag_found or tag in line
        when = stamp.isoformat(timespec="seconds") if stamp else "(no stamp)"
        if record is not None:
            level = str(record.get("level") or record.get("levelname") or "").upper()
            if level in BAD_LEVELS:
                message = " ".join(str(record.get("message", "")).split())
                _add(scan, f"{when} {level} {message[:240]}", message)
            i += 1
            continue
        if line.startswith(TRACEBACK):
            block, i = _traceback_block(lines, i)
            last = block[-1].strip() if len(block) > 1 else "(traceback cut short)"
            _add(scan, f"{when} traceback: {last[:240]}", "\n".join(block))
            continue
        match = PLAIN_LEVEL.search(line)
        if match:
            level = (match.group(1) or match.group(2) or "ERROR").upper()
            _add(scan, f"{when} {level} {' '.join(line.split())[:240]}", line)
        i += 1
    return scan


def _add(scan: LogScan, shown: str, text: str) -> None:
    if any(marker in text for marker in CLIENT_CAUSED) or CLIENT_STATUS.search(text):
        scan.client_caused += 1
    else:
        scan.errors.append(shown)


def _traceback_block(lines: list[str], start: int) -> tuple[list[str], int]:
    """The traceback starting at ``start`` (indented frames up to the exception line)."""
    block = [lines[start]]
    i = start + 1
    while i < len(lines) and (lines[i].startswith((" ", "\t")) or not lines[i].strip()):
        block.append(lines[i])
        i += 1
    if i < len(lines):
        block.append(lines[i])  # the exception line: "RuntimeError: ..."
        i += 1
    return block, i


def _json_record(line: str) -> dict[str, Any] | None:
    line = line.strip()
    if not line.startswith("{"):
        return None
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _stamp_of(line: str, record: dict[str, Any] | None = None) -> dt.datetime | None:
    if record is None:
        record = _json_record(line)
    raw: object
    if record is not None:
        raw = record.get("timestamp") or record.get("time") or record.get("asctime")
    else:
        match = PLAIN_STAMP.match(line)
        raw = match.group(1) if match else None
    if not isinstance(raw, str):
        return None
    try:
        stamp = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return stamp.astimezone().replace(tzinfo=None) if stamp.tzinfo else stamp

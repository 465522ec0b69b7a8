"""Prometheus rule files and the ``promtool`` binary: checks, unit tests, alert inventory.

The acceptance test of MON-04 and the monitoring selftests share this module, so each stays a
few lines: run ``promtool check rules`` / ``promtool test rules`` (a :class:`PromtoolResult`
keeps promtool's own message), read the rule files into :class:`AlertRule` records, and list
what is missing. ``promtool`` not installed raises :class:`PromtoolNotFound`, whose message names
the Debian package to install.
"""

from __future__ import annotations

import glob
import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from gateproof.errors import ConfigError, GateproofError

APT_PACKAGE = "prometheus"
DEFAULT_TIMEOUT_S = 60.0

# Pieces of PromQL that are not metric names, removed before looking for identifiers.
_STRINGS = re.compile(r""""(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`""")
_MATCHERS = re.compile(r"\{[^{}]*\}")
_RANGES = re.compile(r"\[[^\[\]]*\]")
_GROUPINGS = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)")
# An identifier not glued to a number or a dot, and not a function call.
_IDENTIFIER = re.compile(r"(?<![\w:.$])([A-Za-z_:][\w:]*)(?![\w:])(?!\s*\()")
_KEYWORDS = frozenset(
    {"and", "or", "unless", "offset", "bool", "inf", "nan", "by", "without", "on", "ignoring"}
    | {"group_left", "group_right", "atan2"}
)


class PromtoolNotFound(GateproofError):
    """The configured promtool binary does not exist or is not executable."""

    def __init__(self, binary: str):
        self.binary = binary
        super().__init__(
            f"promtool not found: {binary!r} is not an executable file nor on PATH"
            f" (setting alerts.promtool).\n"
            f"  do       apt-get install {APT_PACKAGE}  (the Debian package that ships promtool)"
        )


@dataclass(frozen=True)
class PromtoolResult:
    """One promtool run: the command line, its exit status and what it printed."""

    command: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    @property
    def message(self) -> str:
        """promtool's own words: stderr (where it reports failures) then stdout."""
        parts = [text.strip() for text in (self.stderr, self.stdout) if text.strip()]
        return "\n".join(parts)

    def describe(self) -> str:
        """A failure text for an operator: the command, the exit status, promtool's message."""
        status = "timed out" if self.timed_out else f"exit status {self.returncode}"
        return f"$ {' '.join(self.command)}\n({status})\n{self.message}"


@dataclass(frozen=True)
class AlertRule:
    """One ``alert:`` rule as written in a rule file."""

    name: str
    expr: str
    file: Path
    group: str
    duration: str = "0s"
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)


def find_promtool(binary: str = "promtool") -> str:
    """Absolute path of ``binary`` (a path, or a name looked up on PATH)."""
    found = shutil.which(binary)
    if found is None:
        raise PromtoolNotFound(binary)
    return found


def expand_patterns(patterns: Iterable[str], base: Path | None = None) -> list[Path]:
    """Files matching glob ``patterns`` (relative ones against ``base``, default: cwd)."""
    root = base if base is not None else Path.cwd()
    found: set[Path] = set()
    for pattern in patterns:
        full = pattern if Path(pattern).is_absolute() else str(root / pattern)
        found.update(Path(hit) for hit in glob.glob(full, recursive=True) if Path(hit).is_file())
    return sorted(found)


def run_promtool(
    args: Sequence[str], *, promtool: str = "promtool", timeout_s: float = DEFAULT_TIMEOUT_S
) -> PromtoolResult:
    """Run ``promtool ARGS`` with a deadline; never raises for a failing check."""
    command = (find_promtool(promtool), *args)
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout_s, check=False
        )
    except subprocess.TimeoutExpired as exc:
        return PromtoolResult(command, -1, _text(exc.stdout), _text(exc.stderr), timed_out=True)
    return PromtoolResult(command, done.returncode, done.stdout, done.stderr)


def check_rules(files: Sequence[Path], *, promtool: str = "promtool") -> PromtoolResult:
    """``promtool check rules FILES``: syntax, PromQL and templates of every rule."""
    return run_promtool(["check", "rules", *map(str, files)], promtool=promtool)


def run_rule_tests(files: Sequence[Path], *, promtool: str = "promtool") -> PromtoolResult:
    """``promtool test rules FILES``: the rule unit tests (rule paths relative to each file).

    promtool tests the files one after the other, each on its own, and its output is each
    file's output in turn; so the files run in parallel (a quarter less time on two cores)
    and their outputs are joined in file order: the same result, exit status and message
    as one run over all of them."""
    if len(files) < 2 or not all(Path(f).is_file() for f in files):
        # (promtool refuses the whole command line when one path is not a file: its words)
        return run_promtool(["test", "rules", *map(str, files)], promtool=promtool)
    from concurrent.futures import ThreadPoolExecutor

    binary = find_promtool(promtool)
    with ThreadPoolExecutor(max_workers=min(len(files), 3)) as pool:
        parts = list(
            pool.map(lambda f: run_promtool(["test", "rules", str(f)], promtool=binary), files)
        )
    timed_out = any(p.timed_out for p in parts)
    return PromtoolResult(
        command=(binary, "test", "rules", *map(str, files)),
        returncode=-1 if timed_out else max(p.returncode for p in parts),
        stdout="".join(p.stdout for p in parts),
        stderr="".join(p.stderr for p in parts),
        timed_out=timed_out,
    )


def check_config(file: Path, *, promtool: str = "promtool") -> PromtoolResult:
    """``promtool check config FILE`` (it also checks the rule files the config names)."""
    return run_promtool(["check", "config", str(file)], promtool=promtool)


def check_exprs(exprs: Mapping[str, str], *, promtool: str = "promtool") -> PromtoolResult:
    """Parse PromQL expressions with promtool (2.42 has no expression-only check).

    Each expression becomes a recording rule in a throwaway rules file; ``promtool check
    rules`` then reports a bad one with its parse error. The keys (e.g. panel titles) are
    kept in a comment above each rule so the message can be traced back.
    """
    lines = ["groups:", "  - name: gateproof-expr-check", "    rules:"]
    for index, (label, expr) in enumerate(exprs.items()):
        lines.append(f"      # {label}".replace("\n", " "))
        lines.append(f"      - record: gateproof:expr_{index}")
        lines.append(f"        expr: {_yaml_scalar(expr)}")
    with tempfile.TemporaryDirectory(prefix="gateproof-exprs-") as tmp:
        rules_file = Path(tmp) / "exprs.yml"
        rules_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return check_rules([rules_file], promtool=promtool)


def load_alert_rules(files: Iterable[Path]) -> list[AlertRule]:
    """Every ``alert:`` rule of the rule files, in file order (recording rules skipped).

    A file that is not YAML raises :class:`ConfigError` naming the file and line.
    """
    alerts: list[AlertRule] = []
    for file in files:
        try:
            document = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"{file}:{mark.line + 1}" if mark is not None else str(file)
            raise ConfigError([f"{where}: not valid YAML: {exc}"]) from exc
        for group in _as_list(_as_dict(document).get("groups")):
            group_map = _as_dict(group)
            for rule in _as_list(group_map.get("rules")):
                rule_map = _as_dict(rule)
                if "alert" not in rule_map:
                    continue
                alerts.append(
                    AlertRule(
                        name=str(rule_map["alert"]),
                        expr=str(rule_map.get("expr", "")),
                        file=file,
                        group=str(group_map.get("name", "")),
                        duration=str(rule_map.get("for", "0s")),
                        labels=_str_map(rule_map.get("labels")),
                        annotations=_str_map(rule_map.get("annotations")),
                    )
                )
    return alerts


def missing_alerts(required: Iterable[str], alerts: Iterable[AlertRule]) -> list[str]:
    """Required alert names that no rule defines."""
    defined = {alert.name for alert in alerts}
    return [name for name in required if name not in defined]


def alerts_without_guidance(alerts: Iterable[AlertRule]) -> list[AlertRule]:
    """Alerts with neither a ``runbook_url`` nor a ``description`` annotation."""
    return [
        alert
        for alert in alerts
        if not (alert.annotations.get("runbook_url") or alert.annotations.get("description"))
    ]


def metric_names(expr: str) -> set[str]:
    """Metric names an expression selects (``up{job="x"}`` -> ``up``); functions excluded."""
    text = _STRINGS.sub('""', expr)
    text = _MATCHERS.sub(" ", text)
    text = _RANGES.sub(" ", text)
    text = _GROUPINGS.sub(" ", text)
    return {name for name in _IDENTIFIER.findall(text) if name.lower() not in _KEYWORDS}


def _text(data: str | bytes | None) -> str:
    if data is None:
        return ""
    return data.decode(errors="replace") if isinstance(data, bytes) else data


def _yaml_scalar(value: str) -> str:
    # A JSON string is a valid YAML double-quoted scalar: safe for any PromQL text.
    return json.dumps(value)


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _str_map(value: Any) -> dict[str, str]:
    return {str(key): str(item) for key, item in _as_dict(value).items()}

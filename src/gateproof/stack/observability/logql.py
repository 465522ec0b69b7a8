"""The part of LogQL the Loki stand-in answers: what gateproof and its dashboards send.

    {job="litellm", host=~"gw.*"} |= "text" != "other" |~ "re" !~ "re"        log query
    count_over_time(<log query>[5m])      rate(<log query>[1m])                range metric
    sum(<range metric>)   sum by (job) (<range metric>)   ... or vector(0)     aggregation

Anything else is a parse error, reported as Loki does ("parse error at line 1, col N: ...").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

Labels = dict[str, str]
_MATCHER = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*')
_FILTER = re.compile(r'\s*(\|=|!=|\|~|!~)\s*"((?:[^"\\]|\\.)*)"\s*')
_RANGE = re.compile(r"\[(\d+)(ms|s|m|h|d)\]\s*\)\s*$")
_AGG = re.compile(r"^\s*sum\s*(?:by\s*\(([^)]*)\)\s*)?\(")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


class LogQLError(ValueError):
    """A query outside the supported subset, with Loki's wording and a column."""

    def __init__(self, col: int, message: str) -> None:
        super().__init__(f"parse error at line 1, col {col}: {message}")


@dataclass(frozen=True)
class LogQuery:
    matchers: tuple[tuple[str, str, str], ...]
    filters: tuple[tuple[str, str], ...]

    def selects(self, labels: Labels) -> bool:
        return all(_match(labels.get(n, ""), op, v) for n, op, v in self.matchers)

    def keeps(self, line: str) -> bool:
        for op, value in self.filters:
            if (op == "|=" and value not in line) or (op == "!=" and value in line):
                return False
            if (op == "|~" and not re.search(value, line)) or (
                op == "!~" and re.search(value, line)
            ):
                return False
        return True


@dataclass(frozen=True)
class MetricQuery:
    function: str  # count_over_time | rate
    logs: LogQuery
    range_s: float
    sum_by: tuple[str, ...] | None = None  # None: no aggregation
    or_zero: bool = False

    def evaluate(self, streams: Iterable[tuple[Labels, list[float]]]) -> list[tuple[Labels, float]]:
        """Per series (labels, value) from each stream's timestamps (seconds) in the range."""
        per_stream = []
        for labels, stamps in streams:
            count = float(len(stamps))
            per_stream.append((labels, count / self.range_s if self.function == "rate" else count))
        per_stream = [(labels, value) for labels, value in per_stream if value > 0]
        if self.sum_by is not None:
            totals: dict[tuple[tuple[str, str], ...], float] = {}
            for labels, value in per_stream:
                key = tuple((n, labels.get(n, "")) for n in self.sum_by)
                totals[key] = totals.get(key, 0.0) + value
            per_stream = [(dict(key), value) for key, value in totals.items()]
        if not per_stream and self.or_zero:
            return [({}, 0.0)]
        return per_stream


def parse(query: str) -> LogQuery | MetricQuery:
    text = query.strip()
    if text.startswith("{"):
        return parse_log_query(text, 1)
    or_zero = False
    zero = re.search(r"\s+or\s+vector\(\s*0\s*\)\s*$", text)
    if zero:
        or_zero, text = True, text[: zero.start()]
    sum_by: tuple[str, ...] | None = None
    agg = _AGG.match(text)
    if agg:
        if not text.endswith(")"):
            raise LogQLError(len(text), "unbalanced parentheses")
        sum_by = tuple(n.strip() for n in (agg.group(1) or "").split(",") if n.strip())
        text = text[agg.end() : -1].strip()
    match = re.match(r"^(count_over_time|rate)\s*\(", text)
    if not match:
        raise LogQLError(1, f"syntax error: unexpected {text[:20]!r}")
    ranged = _RANGE.search(text)
    if not ranged:
        raise LogQLError(len(text), "syntax error: a range [duration] is required")
    inner = text[match.end() : ranged.start()]
    logs = parse_log_query(inner.strip(), match.end() + 1)
    range_s = int(ranged.group(1)) * _UNITS[ranged.group(2)]
    return MetricQuery(match.group(1), logs, range_s, sum_by, or_zero)


def parse_log_query(text: str, col: int) -> LogQuery:
    if not text.startswith("{") or "}" not in text:
        raise LogQLError(col, "syntax error: a stream selector {...} is required")
    end = text.index("}")
    matchers = []
    for part in _split(text[1:end]):
        found = _MATCHER.fullmatch(part)
        if not found:
            raise LogQLError(col + 1, f"syntax error: bad matcher {part.strip()!r}")
        matchers.append((found.group(1), found.group(2), _unquote(found.group(3))))
    if not any(op in ("=", "=~") and value for _, op, value in matchers):
        raise LogQLError(col, "queries require at least one regexp or equality matcher")
    rest, filters, at = text[end + 1 :], [], col + end + 1
    while rest.strip():
        found = _FILTER.match(rest)
        if not found:
            raise LogQLError(at, f"syntax error: unexpected {rest.strip()[:20]!r}")
        filters.append((found.group(1), _unquote(found.group(2))))
        at += found.end()
        rest = rest[found.end() :]
    return LogQuery(tuple(matchers), tuple(filters))


def _split(body: str) -> list[str]:
    parts, depth, current = [], False, ""
    for char in body:
        if char == '"' and not current.endswith("\\"):
            depth = not depth
        if char == "," and not depth:
            parts.append(current)
            current = ""
        else:
            current += char
    return [p for p in [*parts, current] if p.strip()]


def _unquote(value: str) -> str:
    return value.replace('\\"', '"').replace("\\\\", "\\")


def _match(have: str, op: str, value: str) -> bool:
    checks: dict[str, Callable[[], bool]] = {
        "=": lambda: have == value,
        "!=": lambda: have != value,
        "=~": lambda: re.fullmatch(value, have) is not None,
        "!~": lambda: re.fullmatch(value, have) is None,
    }
    return checks[op]()

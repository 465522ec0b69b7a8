"""Alertmanager's API v2: status (with its running config), receivers, alerts, and its own
notification counters (which tell a delivered notification from a failed one).

The routing helpers answer "which receiver would get an alert with these labels", walking
the route tree the way Alertmanager does (first matching child unless ``continue``), from
the config Alertmanager itself reports as running, not from a file that may differ.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import yaml

from gateproof.probes.http import Exchange, send

if TYPE_CHECKING:
    import httpx

SETTING = "alertmanager.url"
# Every integration kind a receiver may carry; a receiver without any delivers nowhere.
INTEGRATIONS = (
    "webhook_configs", "email_configs", "pagerduty_configs", "slack_configs",
    "opsgenie_configs", "victorops_configs", "pushover_configs", "wechat_configs",
    "sns_configs", "telegram_configs", "discord_configs", "webex_configs", "msteams_configs",
)  # fmt: skip
_COUNTER = re.compile(r"^(alertmanager_notification_requests(?:_failed)?_total)\{([^}]*)\}\s+(\S+)")


@dataclass(frozen=True)
class Deliveries:
    """Notification attempts so far, summed over integrations: sent and failed."""

    attempts: float
    failed: float

    @property
    def succeeded(self) -> float:
        return self.attempts - self.failed


class AlertmanagerProbe:
    """One Alertmanager. ``client`` is an httpx client whose base URL is ``alertmanager.url``."""

    def __init__(self, client: httpx.Client, url: str) -> None:
        self.client = client
        self.url = url.rstrip("/")

    def _send(self, method: str, path: str, **kwargs: Any) -> Exchange:
        return send(self.client, method, f"{self.url}{path}", setting=SETTING, **kwargs)

    def status(self) -> Exchange:
        return self._send("GET", "/api/v2/status")

    def receivers(self) -> Exchange:
        return self._send("GET", "/api/v2/receivers")

    def alerts(self, alertname: str) -> Exchange:
        return self._send("GET", f"/api/v2/alerts?filter=alertname%3D%22{alertname}%22")

    def post_alert(
        self, labels: dict[str, str], annotations: dict[str, str], *, resolved: bool = False
    ) -> Exchange:
        """Post one alert; ``resolved`` sends it with ``endsAt`` now (Alertmanager resolves it)."""
        now = dt.datetime.now(dt.timezone.utc)
        alert: dict[str, Any] = {
            "labels": labels,
            "annotations": annotations,
            "startsAt": (now - dt.timedelta(seconds=1)).isoformat(),
            "generatorURL": "https://gateproof.invalid/mon-07",
        }
        alert["endsAt"] = (now if resolved else now + dt.timedelta(hours=1)).isoformat()
        return self._send("POST", "/api/v2/alerts", json_body=[alert])

    def deliveries(self) -> tuple[Deliveries, Exchange]:
        """Alertmanager's own counters of notification attempts (``/metrics``)."""
        exchange = self._send("GET", "/metrics")
        if exchange.status != 200:
            raise exchange.error(f"Alertmanager's /metrics answered {exchange.status}")
        attempts = failed = 0.0
        for line in exchange.text.splitlines():
            match = _COUNTER.match(line)
            if match:
                if "_failed_" in match.group(1):
                    failed += float(match.group(3))
                else:
                    attempts += float(match.group(3))
        return Deliveries(attempts, failed), exchange


def running_config(status_body: Any) -> dict[str, Any]:
    """The config Alertmanager runs (``config.original`` of /api/v2/status), parsed."""
    original = (
        (status_body or {}).get("config", {}).get("original", "")
        if isinstance(status_body, dict)
        else ""
    )
    loaded = yaml.safe_load(original) if original else None
    return loaded if isinstance(loaded, dict) else {}


def delivering_receivers(config: dict[str, Any]) -> list[str]:
    """Names of the receivers that carry at least one integration."""
    return [
        str(r.get("name"))
        for r in config.get("receivers") or []
        if isinstance(r, dict) and any(r.get(kind) for kind in INTEGRATIONS)
    ]


def route_receivers(config: dict[str, Any], labels: dict[str, str]) -> list[str]:
    """The receivers the routing tree sends an alert with ``labels`` to."""
    root = config.get("route") or {}
    found = _walk(root, labels, str(root.get("receiver", "")))
    return found or [str(root.get("receiver", ""))]


def _walk(route: dict[str, Any], labels: dict[str, str], inherited: str) -> list[str]:
    receiver = str(route.get("receiver") or inherited)
    found: list[str] = []
    for child in route.get("routes") or []:
        if isinstance(child, dict) and _matches(child, labels):
            found += _walk(child, labels, receiver) or [str(child.get("receiver") or receiver)]
            if not child.get("continue"):
                break
    return found or [receiver]


_MATCHER = re.compile(r'^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"?(.*?)"?\s*$')


def _matches(route: dict[str, Any], labels: dict[str, str]) -> bool:
    checks: list[tuple[str, str, str]] = []
    for name, value in (route.get("match") or {}).items():
        checks.append((str(name), "=", str(value)))
    for name, value in (route.get("match_re") or {}).items():
        checks.append((str(name), "=~", str(value)))
    for matcher in route.get("matchers") or []:
        parsed = _MATCHER.match(str(matcher))
        if parsed:
            checks.append((parsed.group(1), parsed.group(2), parsed.group(3)))
    for name, op, value in checks:
        have = labels.get(name, "")
        if op == "=" and have != value:
            return False
        if op == "!=" and have == value:
            return False
        if op == "=~" and not re.fullmatch(value, have):
            return False
        if op == "!~" and re.fullmatch(value, have):
            return False
    return True

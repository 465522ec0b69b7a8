"""The deployment checklist as data: every item's ID, phase, section and title.

The order is the order of the operator's checklist (the seed), which is also the order
of the filled ``checklist.md``. Tests name these IDs with ``@pytest.mark.checklist(...)``.
"""

from __future__ import annotations

from dataclasses import dataclass

PHASES: tuple[str, ...] = ("predeploy", "smoke", "postdeploy", "monitoring")
MODIFIERS: tuple[str, ...] = ("destructive", "load")


@dataclass(frozen=True)
class Item:
    id: str
    phase: str | None  # None: produced by gateproof itself (record, report), not by a test
    section: str
    title: str


_PRE = "Pre-deployment validation"
_DEP = "Deployment steps"
_PST = "Post-deployment verification"
_DOC = "Documentation, sign-off and rollback"

ITEMS: tuple[Item, ...] = (
    Item(
        "PRE-CFG-01",
        "predeploy",
        f"{_PRE} / Configuration",
        "Config validated with Pydantic schemas",
    ),
    Item(
        "PRE-CFG-02",
        "predeploy",
        f"{_PRE} / Configuration",
        "LiteLLM config generated from the source of truth",
    ),
    Item("PRE-CFG-03", "predeploy", f"{_PRE} / Configuration", "Provider registry accurate"),
    Item(
        "PRE-CFG-04",
        "predeploy",
        f"{_PRE} / Configuration",
        "Model mappings exact for all active models",
    ),
    Item(
        "PRE-CFG-05",
        "predeploy",
        f"{_PRE} / Configuration",
        "Fallback chains configured and non-circular",
    ),
    Item("MON-04", "predeploy", f"{_PRE} / Configuration", "Alert rules valid and unit-tested"),
    Item("PRE-TST-01", "predeploy", f"{_PRE} / Testing", "Unit tests passing, >90% coverage"),
    Item(
        "PRE-TST-02", "predeploy", f"{_PRE} / Testing", "Contract tests (provider API compliance)"
    ),
    Item("PRE-TST-03", "predeploy", f"{_PRE} / Testing", "Integration tests (end-to-end routing)"),
    Item("PRE-TST-04", "predeploy", f"{_PRE} / Testing", "Rollback procedure tested"),
    Item("PRE-TST-05", "predeploy", f"{_PRE} / Testing", "Load test"),
    Item("PRE-SEC-01", "predeploy", f"{_PRE} / Security", "CORS restricted"),
    Item("PRE-SEC-02", "predeploy", f"{_PRE} / Security", "Rate limits per model"),
    Item("PRE-SEC-03", "predeploy", f"{_PRE} / Security", "Authentication"),
    Item("PRE-SEC-04", "predeploy", f"{_PRE} / Security", "Redis password"),
    Item("PRE-SEC-05", "predeploy", f"{_PRE} / Security", "No secrets committed to git"),
    Item("PRE-SEC-06", "predeploy", f"{_PRE} / Security", "Test-only switches off"),
    Item("PRE-INF-01", "predeploy", f"{_PRE} / Infrastructure", "Provider services healthy"),
    Item(
        "PRE-INF-02", "predeploy", f"{_PRE} / Infrastructure", "Gateway accessible and responding"
    ),
    Item("PRE-INF-03", "predeploy", f"{_PRE} / Infrastructure", "Redis cache running"),
    Item("PRE-INF-04", "predeploy", f"{_PRE} / Infrastructure", "System resources sufficient"),
    Item(
        "PRE-INF-05",
        "predeploy",
        f"{_PRE} / Infrastructure",
        "Network connectivity between components",
    ),
    Item("DEP-01", "predeploy", f"{_DEP} / 1. Backup", "Backup of current configuration"),
    Item("DEP-02", "smoke", f"{_DEP} / 2. Deploy configuration", "Configuration deployed intact"),
    Item("DEP-03", "smoke", f"{_DEP} / 3. Restart services", "Service restarted and running"),
    Item("SMK-01", "smoke", f"{_DEP} / 4. Smoke testing", "Health endpoint OK"),
    Item("SMK-02", "smoke", f"{_DEP} / 4. Smoke testing", "All expected models listed"),
    Item("SMK-03", "smoke", f"{_DEP} / 4. Smoke testing", "Routing to each provider"),
    Item("SMK-04", "smoke", f"{_DEP} / 4. Smoke testing", "Streaming through the gateway"),
    Item("SMK-05", "smoke", f"{_DEP} / 4. Smoke testing", "Cache behaviour"),
    Item("SMK-06", "smoke", f"{_DEP} / 4. Smoke testing", "Fallback behaviour"),
    Item("PST-01", "postdeploy", f"{_PST} / Functional", "Comprehensive validation"),
    Item("PST-02", "postdeploy", f"{_PST} / Functional", "Every production model answers"),
    Item("PST-03", "postdeploy", f"{_PST} / Functional", "Fallback chains execute"),
    Item("PST-04", "postdeploy", f"{_PST} / Functional", "Rate limiting enforced"),
    Item("PST-05", "postdeploy", f"{_PST} / Performance", "Latency P50/P95/P99"),
    Item("PST-06", "postdeploy", f"{_PST} / Performance", "Cache hit rate > 50% after warm-up"),
    Item("PST-07", "postdeploy", f"{_PST} / Performance", "Error rate < 1%"),
    Item("PST-08", "postdeploy", f"{_PST} / Performance", "Resource utilisation acceptable"),
    Item(
        "MON-01",
        "monitoring",
        f"{_PST} / Monitoring and alerting",
        "Prometheus scraping all targets",
    ),
    Item("MON-02", "monitoring", f"{_PST} / Monitoring and alerting", "Critical metrics present"),
    Item(
        "MON-03",
        "monitoring",
        f"{_PST} / Monitoring and alerting",
        "Alert rules loaded and evaluating",
    ),
    Item(
        "MON-05", "monitoring", f"{_PST} / Monitoring and alerting", "Grafana dashboard shows data"
    ),
    Item("MON-06", "monitoring", f"{_PST} / Monitoring and alerting", "Loki receiving logs"),
    Item("MON-07", "monitoring", f"{_PST} / Monitoring and alerting", "Test alert firing"),
    Item("MON-08", "monitoring", f"{_PST} / Monitoring and alerting", "Alertmanager configured"),
    Item("PST-09", "postdeploy", f"{_PST} / Documentation", "No worse than before (baseline)"),
    Item("DOC-01", None, _DOC, "Deployment record and sign-off"),
    Item("RBK-01", None, _DOC, "Rollback procedure"),
    Item("REL-01", None, _DOC, "HTML report for the release"),
)

BY_ID: dict[str, Item] = {item.id: item for item in ITEMS}

# A team's own items (their own checks, with their own IDs), registered by the plugin for
# this process; the verdict, the record and the filled checklist read every item through
# all_items() / find(), never ITEMS directly, so the team's items join them.
_user_items: dict[str, Item] = {}


def register_user_items(items: list[Item]) -> None:
    """Add a team's own items for this run (an ID of the checklist itself is refused)."""
    for item in items:
        if item.id in BY_ID:
            raise ValueError(f"{item.id} is an item of the deployment checklist; pick another ID")
        _user_items[item.id] = item


def clear_user_items() -> None:
    _user_items.clear()


def all_items() -> tuple[Item, ...]:
    """The checklist's items, then the team's own, in registration order."""
    return ITEMS + tuple(_user_items.values())


def find(item_id: str) -> Item | None:
    return BY_ID.get(item_id) or _user_items.get(item_id)


def unknown_ids(ids: tuple[str, ...] | list[str]) -> list[str]:
    """The IDs among ``ids`` that are neither checklist items nor a team's own."""
    return [i for i in ids if find(i) is None]

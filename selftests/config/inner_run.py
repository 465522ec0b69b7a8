"""Reading an inner acceptance run's record (see the ``acceptance`` fixture in conftest)."""

from __future__ import annotations

from typing import Any


def messages(item: dict[str, Any]) -> str:
    """Every failure or error message of one checklist item of record.json, joined."""
    return "\n".join(str(t.get("message", "")) for t in item["tests"])

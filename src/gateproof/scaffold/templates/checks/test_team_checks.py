"""The team's own checks. Each test has one phase marker and a checklist ID declared in
pytest.ini (gateproof_items); a failure names the item and says what was expected."""

from __future__ import annotations

import pytest

from gateproof.failure import Check
from gateproof.schema import Sources


@pytest.mark.predeploy
@pytest.mark.checklist("TEAM-01")
def test_every_public_model_has_a_description(sources: Sources, check: Check) -> None:
    undescribed = sorted(
        name for name, entry in sources.mappings.exact_matches.items() if not entry.description
    )
    if undescribed:
        check.fail(
            "public models without a description",
            target=str(sources.config_dir / "model-mappings.yaml"),
            expected="a description on every exact_matches entry",
            actual=", ".join(undescribed),
        )

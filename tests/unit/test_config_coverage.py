"""PRE-TST-01: the acceptance suite exercises (nearly) every active model, provider and
fallback chain of the config. See gateproof.suite_coverage for how "exercises" is measured."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateproof import config_checks, routing, suite_coverage
from gateproof.errors import ConfigError
from gateproof.schema import GENERATED_FILE, Sources
from gateproof.settings import Settings


@pytest.mark.predeploy
@pytest.mark.checklist("PRE-TST-01")
def test_suite_covers_the_config(
    pytestconfig: pytest.Config, config_dir: Path, sources: Sources, gateproof_settings: Settings
) -> None:
    options = suite_coverage.passthrough_args(pytestconfig.invocation_params.args)
    options += ["--gateproof-config-dir", str(config_dir)]
    suite_dirs = pytestconfig.getini("gateproof_suite_dirs")
    node_ids = suite_coverage.collect_suite(pytestconfig.rootpath, suite_dirs, options)
    seen = suite_coverage.from_node_ids(node_ids)
    result = routing.coverage(sources, seen.models, seen.providers, seen.chains)
    threshold = gateproof_settings.thresholds.config_coverage
    summary = (
        f"config coverage {result.ratio:.0%} ({result.covered}/{result.total}: "
        f"{sum(result.models.values())}/{len(result.models)} models, "
        f"{sum(result.providers.values())}/{len(result.providers)} providers, "
        f"{sum(result.chains.values())}/{len(result.chains)} chains) from {len(node_ids)} "
        f"collected tests in {', '.join(suite_dirs)}"
    )
    if result.ratio < threshold:
        try:
            config_checks.generated(config_dir)
        except ConfigError:
            # The live tests take their chains from the generated file: none collected.
            summary += f"; {GENERATED_FILE} does not load (see PRE-CFG-01), so no chain test is"
            summary += " collected"
        pytest.fail(
            f"PRE-TST-01 {summary}; needs >= {threshold:.0%} (thresholds.config_coverage)\n"
            "  not exercised by any test:\n    " + "\n    ".join(result.missing()) + "\n"
            "  a test exercises what its id names: [provider=NAME], [model=NAME], [chain=NAME]",
            pytrace=False,
        )

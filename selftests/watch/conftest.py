"""Selftests of `gateproof watch`: the budget, the record, the metrics and the rollback plan on
their own; then watches on a reference stack of this folder's own (its faults and rollback
change the deployment, so no other test shares it)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateproof.stack import launcher
from gateproof.stack.layout import RunDir
from gateproof.stack.testing import base_port_for_worker, free_base, selftest_config_dir

OWN_RANGE_OFFSET = 1500  # clear of the shared selftest stack and the rollback test's range


@pytest.fixture(scope="module")
def watch_stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunDir]:
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    base = free_base(base_port_for_worker(worker) + OWN_RANGE_OFFSET)
    config = selftest_config_dir(request.config.rootpath)
    run = tmp_path_factory.mktemp("watch-stack") / "run"
    monitoring = config.resolve().parent / "monitoring"
    try:
        launcher.up(run, config, base, monitoring, say=lambda _: None)
        yield RunDir.at(run)
    finally:
        launcher.down(run, say=lambda _: None)


@pytest.fixture
def waivers(tmp_path: Path) -> Path:
    """SMK-06 waived for the rounds: its check stops a provider, which a watch must never do
    (the gate's destructive smoke run proves the fallback)."""
    import datetime as dt

    expires = dt.date.today() + dt.timedelta(days=30)
    path = tmp_path / "watch-waivers.yaml"
    path.write_text(
        "waivers:\n  - id: SMK-06\n    reason: the watch never stops a provider; the gate's "
        f"destructive smoke proves the fallback\n    approver: selftest\n    expires: {expires}\n",
        encoding="utf-8",
    )
    return path

"""Files the observability stand-ins of the stack read: the repo's dashboards copied into
``RUN/grafana/dashboards`` (a test may edit a copy; the stand-in reads them per request) and
a Grafana datasource provisioning file pointing at the stack's Prometheus and Loki."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from gateproof.stack.layout import RunDir, fixed_port


def dashboards_dir(run: RunDir) -> Path:
    return run.data("grafana") / "dashboards"


def datasources_file(run: RunDir) -> Path:
    return run.data("grafana") / "datasources.yml"


def write_grafana_files(run: RunDir, base: int, monitoring_dir: Path) -> None:
    target = dashboards_dir(run)
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for board in sorted((monitoring_dir / "grafana").glob("*.json")):
        shutil.copyfile(board, target / board.name)
    sources = {
        "apiVersion": 1,
        "datasources": [
            {
                "name": "Prometheus",
                "type": "prometheus",
                "uid": "prometheus",
                "access": "proxy",
                "url": f"http://127.0.0.1:{fixed_port(base, 'prometheus')}",
                "isDefault": True,
            },
            {
                "name": "Loki",
                "type": "loki",
                "uid": "loki",
                "access": "proxy",
                "url": f"http://127.0.0.1:{fixed_port(base, 'loki')}",
            },
        ],
    }
    datasources_file(run).write_text(yaml.safe_dump(sources, sort_keys=False), encoding="utf-8")

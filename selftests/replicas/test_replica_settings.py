"""Replica settings and stack layout without a running stack: the setting's validation, the
ports replicas get, what Prometheus scrapes, and the bounds of ``--replicas``."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from gateproof.settings import Gateway
from gateproof.stack.component_files import prometheus_config
from gateproof.stack.launcher import planned_ports, replica_urls
from gateproof.stack.layout import RunDir, check_replicas, replica_name, replica_port

REPO = Path(__file__).resolve().parents[2]


def test_replicas_default_to_none_and_are_cleaned() -> None:
    assert Gateway(url="http://g:4000").replicas == []
    gateway = Gateway(url="http://g:4000", replicas=["http://a:4000/", " http://b:4000", ""])
    assert gateway.replicas == ["http://a:4000", "http://b:4000"]


@pytest.mark.parametrize(
    ("urls", "says"),
    [
        (["a:4000"], r"'a:4000' is not an http\(s\) URL"),
        (["http://a:4000", "http://a:4000/"], "a replica is listed twice"),
    ],
)
def test_bad_replica_lists_are_refused(urls: list[str], says: str) -> None:
    with pytest.raises(ValidationError, match=says):
        Gateway(url="http://g:4000", replicas=urls)


def test_replica_ports_names_and_urls() -> None:
    assert [replica_port(24100, r) for r in (1, 2, 3)] == [24100, 24200, 24201]
    assert [replica_name(r) for r in (1, 2)] == ["litellm", "litellm-2"]
    assert replica_urls(24100, 2) == ["http://127.0.0.1:24100", "http://127.0.0.1:24200"]


def test_replicas_are_bounded() -> None:
    check_replicas(1, 4)
    check_replicas(10, 4)
    for bad in (0, 11):
        with pytest.raises(ValueError, match=f"--replicas {bad}: choose 1..10"):
            check_replicas(bad, 4)


def test_second_replica_port_is_planned_and_scraped(tmp_path: Path) -> None:
    planned = dict((name, port) for name, port in planned_ports(REPO / "config", 24100, 2))
    assert planned["litellm"] == 24100 and planned["litellm-2"] == 24200
    assert "litellm-2" not in dict(planned_ports(REPO / "config", 24100))
    config = prometheus_config(RunDir.at(tmp_path), 24100, [], replicas=2)
    job = next(j for j in config["scrape_configs"] if j["job_name"] == "litellm")
    assert job["static_configs"] == [{"targets": ["127.0.0.1:24100", "127.0.0.1:24200"]}]

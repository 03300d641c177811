"""Reading ``GET /metrics`` in tests: prometheus_client's own parser, samples by family."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

Families = dict[str, list[Sample]]


def scrape(base_url: str) -> Families:
    """The samples of every family in ``GET /metrics``, by family name."""
    response = httpx.get(f"{base_url}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    return families_of(response.text)


def families_of(text: str) -> Families:
    return {f.name: list(f.samples) for f in text_string_to_metric_families(text)}


def value(families: Families, sample: str, **labels: str) -> float:
    """The value of the sample named ``sample`` with exactly ``labels``; 0 when absent."""
    family = max((name for name in families if sample.startswith(name)), key=len)
    found = [s.value for s in families[family] if s.name == sample and s.labels == labels]
    assert len(found) <= 1
    return found[0] if found else 0.0


def wait_for(condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "the metric did not change in time"
        time.sleep(0.1)

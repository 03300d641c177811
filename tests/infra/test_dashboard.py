"""The Grafana dashboard (infra/grafana/lumen.json) and the metric names of the alert rules:
the dashboard loads in a current Grafana with a Prometheus data source of the operator's
choice, every expression in it parses, and every ``lumen_*`` name that the dashboard or an
alert uses is one the backend registers (``METRIC_NAMES``), so neither can watch a metric that
does not exist."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from lumen.observability.metrics import METRIC_NAMES
from tests.infra.prometheus import PROMETHEUS_DIR, run_promtool

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "infra" / "grafana" / "lumen.json"
ALERTS = PROMETHEUS_DIR / "alerts.yml"
# Grafana 11.0 writes schemaVersion 39; older dashboards are migrated on load, not refused,
# but a file below this was not made for a current Grafana.
MIN_SCHEMA_VERSION = 39
# Grafana's interval variables, replaced by a duration before promtool parses an expression.
GRAFANA_INTERVALS = re.compile(r"\$__(rate_interval|interval|range)\b")
# Series suffixes of histograms and counters over their family names.
SERIES_SUFFIXES = ("_bucket", "_count", "_sum", "_total", "_created")


def _dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return loaded


def _panels() -> list[dict[str, Any]]:
    return [p for p in _dashboard()["panels"] if p["type"] != "row"]


def _dashboard_exprs() -> list[str]:
    return [t["expr"] for p in _panels() for t in p["targets"]]


def _alert_exprs() -> list[str]:
    groups = yaml.safe_load(ALERTS.read_text())["groups"]
    return [rule["expr"] for group in groups for rule in group["rules"]]


def test_the_dashboard_is_a_current_grafana_dashboard_with_a_prometheus_source_variable() -> None:
    dashboard = _dashboard()
    assert dashboard["schemaVersion"] >= MIN_SCHEMA_VERSION
    assert dashboard["uid"] and dashboard["title"]
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids)), "panel ids repeat"
    for panel in _panels():
        # Every query goes to the data source the operator picks, none to a fixed uid.
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        assert {"h", "w", "x", "y"} <= panel["gridPos"].keys()
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == "${datasource}"
            assert target["expr"].strip()


def test_the_dashboard_shows_every_metric_of_the_contract_and_the_process() -> None:
    used = {name for expr in _dashboard_exprs() for name in _metric_names(expr)}
    assert set(METRIC_NAMES) <= {_family(name) for name in used}
    assert {"process_resident_memory_bytes", "process_cpu_seconds_total"} <= used


def test_every_expression_of_the_dashboard_and_the_alerts_parses(tmp_path: Path) -> None:
    # promtool has no offline "parse this expression"; as recording rules it parses them all.
    exprs = [GRAFANA_INTERVALS.sub("5m", e) for e in _dashboard_exprs()] + _alert_exprs()
    rules = [{"record": f"lumen:check_{i}", "expr": e} for i, e in enumerate(exprs)]
    path = tmp_path / "exprs.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "exprs", "rules": rules}]}))
    result = run_promtool("check", "rules", str(path))
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_lumen_metric_used_is_one_the_backend_registers() -> None:
    used = {
        name
        for expr in _dashboard_exprs() + _alert_exprs()
        for name in _metric_names(expr)
        if name.startswith("lumen_")
    }
    assert used, "no lumen_ metric found: the extraction is broken"
    unknown = {name for name in used if _family(name) not in METRIC_NAMES}
    assert unknown == set()


def _metric_names(expr: str) -> set[str]:
    """Metric names in a PromQL expression: identifiers followed by a selector, a range or an
    operator, that are not functions, keywords, label names or label values."""
    without_strings = re.sub(r'"[^"]*"', '""', GRAFANA_INTERVALS.sub("5m", expr))
    without_labels = re.sub(r"\{[^}]*\}", "{}", without_strings)
    grouping = r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)"
    words = set(
        re.findall(r"\b[a-zA-Z_:][a-zA-Z0-9_:]*\b(?!\s*\()", re.sub(grouping, "", without_labels))
    )
    return words - {"and", "or", "unless", "offset", "bool", "group_left", "group_right"}


def _family(name: str) -> str:
    """The family a scrape reports a series under (``lumen_answers_total`` ->
    ``lumen_answers``), if the name is one of a family's series; else the name."""
    for suffix in SERIES_SUFFIXES:
        if name.endswith(suffix) and name.removesuffix(suffix) in METRIC_NAMES:
            return name.removesuffix(suffix)
    return name

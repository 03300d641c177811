"""The Prometheus alert rules (infra/prometheus/alerts.yml): valid for promtool, each one
firing on the series its unit tests say and silent on the others, each one actionable, and
selecting the scrape job that prometheus.yml defines for the pods the manifests annotate."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from tests.infra.prometheus import PROMETHEUS_DIR, run_promtool

ROOT = Path(__file__).resolve().parents[2]
ALERTS = PROMETHEUS_DIR / "alerts.yml"
ALERT_TESTS = PROMETHEUS_DIR / "alerts.test.yml"
SCRAPE_CONFIG = PROMETHEUS_DIR / "prometheus.yml"
API_DEPLOYMENT = ROOT / "infra" / "k8s" / "api-deployment.yaml"
# What an operator of Lumen is paged about (the brief of issue 14).
REQUIRED_ALERTS = {
    "LumenApiTargetDown",
    "LumenApiDown",
    "LumenHttp5xxRateHigh",
    "LumenAnswerFirstTokenSlow",
    "LumenLlmFirstTokenSlow",
    "LumenLlmBreakerOpen",
    "LumenJobQueueBacklog",
    "LumenJobQueuedTooLong",
    "LumenIngestionJobFailed",
    "LumenAuditChainVerificationFailed",
    "LumenAuditVerificationStale",
}


def _rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load(ALERTS.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def test_promtool_accepts_the_alert_rules() -> None:
    result = run_promtool("check", "rules", ALERTS.name)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(_rules())} rules found" in result.stdout


def test_each_alert_fires_and_stays_silent_as_its_unit_tests_say() -> None:
    result = run_promtool("test", "rules", ALERT_TESTS.name)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_every_alert_is_unit_tested_both_firing_and_silent() -> None:
    tests = yaml.safe_load(ALERT_TESTS.read_text())["tests"]
    fired: set[str] = set()
    silent: set[str] = set()
    for group in tests:
        for case in group.get("alert_rule_test", []):
            (fired if case["exp_alerts"] else silent).add(case["alertname"])
    names = {rule["alert"] for rule in _rules()}
    assert names - fired == set(), "alerts never shown to fire"
    assert names - silent == set(), "alerts never shown to stay silent"


def test_the_alerts_cover_what_an_operator_is_paged_about() -> None:
    assert {rule["alert"] for rule in _rules()} >= REQUIRED_ALERTS


def test_every_alert_waits_has_a_severity_and_tells_what_to_do() -> None:
    for rule in _rules():
        name = rule["alert"]
        assert re.fullmatch(r"\d+[smh]", rule.get("for", "")), f"{name}: no for:"
        assert rule["labels"]["severity"] in {"critical", "warning"}, name
        annotations = rule["annotations"]
        for key in ("summary", "description", "runbook"):
            assert annotations.get(key, "").strip(), f"{name}: no {key}"


def test_the_alerts_select_the_scrape_job_of_the_api_pods() -> None:
    config = yaml.safe_load(SCRAPE_CONFIG.read_text())
    assert config["rule_files"] == [ALERTS.name]
    (job,) = config["scrape_configs"]
    selected = {m for r in _rules() for m in re.findall(r'job="([^"]+)"', r["expr"])}
    assert selected == {job["job_name"]}

    # The keep rules of the scrape job, applied to the pods the manifests define: the API pods
    # are scraped at the annotated path and port, the workers (no HTTP) are not.
    pod = yaml.safe_load(API_DEPLOYMENT.read_text())["spec"]["template"]
    annotations = pod["metadata"]["annotations"]
    port = pod["spec"]["containers"][0]["ports"][0]["containerPort"]
    assert annotations["prometheus.io/port"] == str(port)
    assert annotations["prometheus.io/path"] == "/metrics"
    api_meta = {
        "__meta_kubernetes_pod_annotation_prometheus_io_scrape": annotations[
            "prometheus.io/scrape"
        ],
        "__meta_kubernetes_pod_label_app_kubernetes_io_component": "api",
    }
    worker_meta = {**api_meta, "__meta_kubernetes_pod_label_app_kubernetes_io_component": "worker"}
    assert _kept(job["relabel_configs"], api_meta)
    assert not _kept(job["relabel_configs"], worker_meta)


def _kept(relabel_configs: list[dict[str, Any]], labels: dict[str, str]) -> bool:
    """Prometheus' `keep` actions (anchored regex over the ;-joined source labels)."""
    for step in relabel_configs:
        if step.get("action") == "keep":
            value = ";".join(labels.get(name, "") for name in step["source_labels"])
            if not re.fullmatch(step["regex"], value):
                return False
    return True

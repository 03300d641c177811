"""The Kubernetes manifests (infra/k8s): valid against the Kubernetes API schemas (strict: an
unknown or misspelt field fails), and the properties an operator relies on: probes on the
health endpoints, secrets only by reference, writable paths mounted under a read-only root,
SSE through the Ingress and no /metrics from outside, and who may connect to whom.

No kustomize renderer is installable from the registries the project uses (PyPI, npm, Debian),
so the files are validated one by one and the kustomization's resources are checked against
the folder."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from lumen.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "infra" / "k8s"
KUSTOMIZATION = K8S / "kustomization.yaml"
COMPOSE = ROOT / "docker-compose.yml"
FRONTEND_APP = ROOT / "frontend" / "app"
FRONTEND_PUBLIC = ROOT / "frontend" / "public"
# The oldest Kubernetes minor these manifests are written for (kustomization.yaml says so) and
# the newest whose schemas kubernetes-validate carries: an API removed since fails here.
KUBERNETES_VERSIONS = ("1.32", kubernetes_validate.latest_version())
NAMESPACE = "lumen"
API_PORT = 8000
# bench/results.md section 5: peak RSS of `lumen serve` (full index) and of ingestion.
SERVING_PEAK_RSS_BYTES = 1782 * 2**20
INGESTION_PEAK_RSS_BYTES = 1783 * 2**20
# Names of environment variables that hold a secret.
SECRET_ENV = re.compile(r"KEY|SECRET|PASSWORD|TOKEN|DSN|DATABASE_URL")
SSE_ANNOTATIONS = {
    "nginx.ingress.kubernetes.io/proxy-buffering": "off",
    "nginx.ingress.kubernetes.io/proxy-read-timeout": "3600",
    "nginx.ingress.kubernetes.io/proxy-send-timeout": "3600",
}


def _manifest_files() -> list[Path]:
    return sorted(p for p in K8S.glob("*.yaml") if p != KUSTOMIZATION)


def _documents() -> list[dict[str, Any]]:
    return [d for p in _manifest_files() for d in yaml.safe_load_all(p.read_text()) if d]


def _one(kind: str, name: str) -> dict[str, Any]:
    (found,) = [d for d in _documents() if d["kind"] == kind and d["metadata"]["name"] == name]
    return found


def _workloads() -> list[dict[str, Any]]:
    return [d for d in _documents() if d["kind"] in {"Deployment", "Job"}]


def _pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = workload["spec"]["template"]["spec"]
    return spec


def _bytes(quantity: str) -> int:
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30}
    return int(quantity[:-2]) * units[quantity[-2:]]


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("path", _manifest_files(), ids=lambda p: p.name)
def test_every_document_is_valid_for_the_kubernetes_api(path: Path, version: str) -> None:
    for document in yaml.safe_load_all(path.read_text()):
        kubernetes_validate.validate(document, version, strict=True)


def test_the_kustomization_applies_every_manifest_of_the_folder() -> None:
    kustomization = yaml.safe_load(KUSTOMIZATION.read_text())
    assert kustomization["kind"] == "Kustomization"
    assert sorted(kustomization["resources"]) == [p.name for p in _manifest_files()]
    # Its only other field: the one image every container names, set to a registry and tag.
    assert set(kustomization) == {"apiVersion", "kind", "resources", "images"}
    (image,) = kustomization["images"]
    containers = [c for w in _workloads() for c in _pod_spec(w)["containers"]]
    assert {c["image"] for c in containers} == {image["name"]}


def test_everything_is_in_the_lumen_namespace() -> None:
    for document in _documents():
        if document["kind"] == "Namespace":
            assert document["metadata"]["name"] == NAMESPACE
        else:
            assert document["metadata"]["namespace"] == NAMESPACE, document["metadata"]["name"]


def test_the_api_probes_ask_readyz_and_healthz_on_the_serving_port() -> None:
    (container,) = _pod_spec(_one("Deployment", "lumen-api"))["containers"]
    (port,) = container["ports"]
    assert port["containerPort"] == API_PORT == Settings().port
    for probe, path in (
        ("readinessProbe", "/readyz"),
        ("livenessProbe", "/healthz"),
        ("startupProbe", "/healthz"),
    ):
        get = container[probe]["httpGet"]
        assert get["path"] == path, probe
        assert get["port"] in (port["name"], port["containerPort"]), probe
    startup = container["startupProbe"]
    # Loading the model on a busy node: minutes, not the default 30 s, before liveness rules.
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 180


def test_the_api_survives_losing_a_replica() -> None:
    deployment = _one("Deployment", "lumen-api")
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["replicas"] >= 2
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    spread = _pod_spec(deployment)["topologySpreadConstraints"]
    assert "kubernetes.io/hostname" in {c["topologyKey"] for c in spread}
    for constraint in spread:
        assert _matches(constraint["labelSelector"], pod_labels)

    hpa = _one("HorizontalPodAutoscaler", "lumen-api")
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "lumen-api",
    }
    assert hpa["spec"]["minReplicas"] >= 2
    (metric,) = hpa["spec"]["metrics"]
    assert metric["resource"]["name"] == "cpu"

    pdb = _one("PodDisruptionBudget", "lumen-api")
    assert _matches(pdb["spec"]["selector"], pod_labels)
    assert pdb["spec"]["maxUnavailable"] == 1

    service = _one("Service", "lumen-api")
    assert _matches({"matchLabels": service["spec"]["selector"]}, pod_labels)
    (service_port,) = service["spec"]["ports"]
    assert service_port["targetPort"] == "http"


def test_memory_is_sized_from_the_measured_peaks() -> None:
    for name, peak in (
        ("lumen-api", SERVING_PEAK_RSS_BYTES),
        ("lumen-worker", INGESTION_PEAK_RSS_BYTES),
    ):
        (container,) = _pod_spec(_one("Deployment", name))["containers"]
        resources = container["resources"]
        assert _bytes(resources["requests"]["memory"]) > peak, name
        assert _bytes(resources["limits"]["memory"]) > _bytes(resources["requests"]["memory"])
    for workload in _workloads():
        for container in _pod_spec(workload)["containers"]:
            for part in ("requests", "limits"):
                assert {"cpu", "memory"} <= container["resources"][part].keys()


def test_workers_and_scheduler_run_what_docker_compose_runs() -> None:
    compose = yaml.safe_load(COMPOSE.read_text())["services"]
    for service, name in (("worker", "lumen-worker"), ("scheduler", "lumen-scheduler")):
        (container,) = _pod_spec(_one("Deployment", name))["containers"]
        assert container["command"] == compose[service]["command"], name
    # Workers serve nothing: no Service selects them.
    worker_labels = _one("Deployment", "lumen-worker")["spec"]["template"]["metadata"]["labels"]
    for service in (d for d in _documents() if d["kind"] == "Service"):
        assert not _matches({"matchLabels": service["spec"]["selector"]}, worker_labels)


def test_a_worker_is_given_time_to_finish_its_batch_on_shutdown() -> None:
    # Celery's hard time limit of a batch (lumen/jobs/celery_app.py): 90 % of the visibility
    # timeout. A warm shutdown that outlasts it lets every running batch finish.
    batch_limit_s = max(60.0, Settings().celery_visibility_timeout_s * 0.9)
    grace_s = _pod_spec(_one("Deployment", "lumen-worker"))["terminationGracePeriodSeconds"]
    assert grace_s > batch_limit_s


def test_there_is_never_more_than_one_scheduler() -> None:
    scheduler = _one("Deployment", "lumen-scheduler")
    assert scheduler["spec"]["replicas"] == 1
    # A rolling update would run the new one beside the old one.
    assert scheduler["spec"]["strategy"]["type"] == "Recreate"
    assert not [
        d
        for d in _documents()
        if d["kind"] == "HorizontalPodAutoscaler"
        and d["spec"]["scaleTargetRef"]["name"] == "lumen-scheduler"
    ]


def test_migrations_run_once_in_a_job_not_in_the_api() -> None:
    job = _one("Job", "lumen-migrate")
    (container,) = _pod_spec(job)["containers"]
    assert container["command"] == ["lumen", "migrate"]
    assert _pod_spec(job)["restartPolicy"] == "Never"
    (api,) = _pod_spec(_one("Deployment", "lumen-api"))["containers"]
    assert api["command"] == ["lumen", "serve"]


def test_no_secret_is_in_the_repository_and_every_secret_is_referenced() -> None:
    assert not [d for d in _documents() if d["kind"] == "Secret"]
    config = _one("ConfigMap", "lumen-config")["data"]
    # The key file's path is configuration; a key, password or DSN is not.
    assert [k for k in config if SECRET_ENV.search(k) and not k.endswith("_FILE")] == []
    for workload in _workloads():
        for container in _pod_spec(workload)["containers"]:
            for env in container.get("env", []):
                if SECRET_ENV.search(env["name"]):
                    assert "value" not in env, env["name"]
                    assert env["valueFrom"]["secretKeyRef"]["name"] == "lumen-secrets"


def test_the_audit_signing_key_is_a_mounted_secret_file_where_it_is_needed() -> None:
    key_file = Path(_one("ConfigMap", "lumen-config")["data"]["LUMEN_AUDIT_SIGNING_KEY_FILE"])
    for name in ("lumen-api", "lumen-worker"):
        spec = _pod_spec(_one("Deployment", name))
        volumes = {v["name"]: v for v in spec["volumes"]}
        (container,) = spec["containers"]
        (mount,) = [m for m in container["volumeMounts"] if key_file.parent == Path(m["mountPath"])]
        secret = volumes[mount["name"]]["secret"]
        assert secret["secretName"] == "lumen-audit-signing-key"
        assert mount["readOnly"] is True
        # Readable by the pod's group only (fsGroup), not by every user of the node.
        assert secret["defaultMode"] & 0o007 == 0


def test_every_container_runs_unprivileged_with_its_writable_paths_mounted() -> None:
    config = _one("ConfigMap", "lumen-config")["data"]
    for workload in _workloads():
        spec = _pod_spec(workload)
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["automountServiceAccountToken"] is False
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True
            assert context["allowPrivilegeEscalation"] is False
            assert context["capabilities"]["drop"] == ["ALL"]
            mounts = {m["mountPath"] for m in container["volumeMounts"]}
            assert "/tmp" in mounts, workload["metadata"]["name"]
            if workload["metadata"]["name"] != "lumen-migrate":
                # server.json, downloads, celerybeat-schedule (lumen/cli.py, lumen/app.py).
                assert config["LUMEN_DATA_DIR"] in mounts, workload["metadata"]["name"]
    (api,) = _pod_spec(_one("Deployment", "lumen-api"))["containers"]
    assert config["LUMEN_AUDIT_CHECKPOINT_DIR"] in {m["mountPath"] for m in api["volumeMounts"]}


def test_the_ingress_streams_answers_and_keeps_metrics_inside() -> None:
    ingress = _one("Ingress", "lumen")
    annotations = ingress["metadata"]["annotations"]
    for key, value in SSE_ANNOTATIONS.items():
        assert annotations[key] == value
    # No per-Ingress nginx snippet (gzip on, buffering back on): current controllers refuse them.
    assert not [k for k in annotations if k.endswith("-snippet")]
    paths = [p for rule in ingress["spec"]["rules"] for p in rule["http"]["paths"]]
    for path in paths:
        assert path["backend"]["service"]["name"] == "lumen-api"
    for internal in ("/metrics", "/metrics/", "/healthz", "/readyz"):
        assert not _routed(paths, internal), internal
    # The API and every page of the web app (a folder of frontend/app with a page, and the
    # files of frontend/public) are reachable.
    pages = [p.parent for p in FRONTEND_APP.glob("*/page.tsx")]
    assert pages, "no page found in frontend/app"
    public = [p.name for p in FRONTEND_PUBLIC.iterdir()]
    for url in ["/", "/api/v1/conversations", "/_next/static/app.js"]:
        assert _routed(paths, url), url
    for url in [f"/{p.name}/" for p in pages] + [f"/{name}" for name in public]:
        assert _routed(paths, url), url


def _routed(paths: list[dict[str, Any]], url: str) -> bool:
    """Whether an Ingress path matches ``url`` (Exact, or Prefix by whole path segments)."""
    for path in paths:
        if path["pathType"] == "Exact" and url == path["path"]:
            return True
        if path["pathType"] == "Prefix":
            prefix = path["path"].rstrip("/")
            if url == prefix or url.startswith(prefix + "/"):
                return True
    return False


# --- NetworkPolicies: who may connect to whom --------------------------------------------------

LUMEN = {"app.kubernetes.io/name": "lumen"}
PODS = {
    "api": (NAMESPACE, {**LUMEN, "app.kubernetes.io/component": "api"}),
    "worker": (NAMESPACE, {**LUMEN, "app.kubernetes.io/component": "worker"}),
    "scheduler": (NAMESPACE, {**LUMEN, "app.kubernetes.io/component": "scheduler"}),
    "migrate": (NAMESPACE, {**LUMEN, "app.kubernetes.io/component": "migrate"}),
    "postgresql": (NAMESPACE, {"app.kubernetes.io/name": "postgresql"}),
    "redis": (NAMESPACE, {"app.kubernetes.io/name": "redis"}),
    "qdrant": (NAMESPACE, {"app.kubernetes.io/name": "qdrant"}),
    "vllm": (NAMESPACE, {"app.kubernetes.io/name": "vllm"}),
    "another pod": (NAMESPACE, {"app": "debug-shell"}),
    "ingress controller": ("ingress-nginx", {"app.kubernetes.io/name": "ingress-nginx"}),
    "prometheus": ("monitoring", {"app.kubernetes.io/name": "prometheus"}),
    "a pod elsewhere": ("default", {"app.kubernetes.io/name": "ingress-nginx"}),
}
# (target, port): the sources that may connect; every other pod of PODS may not.
ALLOWED = {
    ("postgresql", 5432): {"api", "worker", "migrate"},
    ("redis", 6379): {"api", "worker", "scheduler"},
    ("qdrant", 6333): {"api", "worker"},
    ("vllm", 8000): {"api"},
    ("api", 8000): {"ingress controller", "prometheus"},
    ("worker", 8000): set(),
    ("scheduler", 8000): set(),
}


@pytest.mark.parametrize(("target", "port"), ALLOWED, ids=lambda v: str(v))
def test_network_policies_let_only_the_right_pods_connect(target: str, port: int) -> None:
    allowed = {source for source in PODS if _may_connect(source, target, port)}
    assert allowed == ALLOWED[(target, port)]


def test_the_namespace_denies_every_connection_by_default() -> None:
    policies = [d for d in _documents() if d["kind"] == "NetworkPolicy"]
    deny = [p for p in policies if p["spec"]["podSelector"] == {}]
    assert len(deny) == 1
    assert deny[0]["spec"]["policyTypes"] == ["Ingress"]
    assert not deny[0]["spec"].get("ingress")


def _may_connect(source: str, target: str, port: int) -> bool:
    """NetworkPolicy ingress semantics for a target pod in the namespace: isolated when any
    policy selects it, then allowed when one of those policies has a rule whose peers and
    ports match."""
    source_namespace, source_labels = PODS[source]
    target_namespace, target_labels = PODS[target]
    assert target_namespace == NAMESPACE
    selecting = [
        p
        for p in _documents()
        if p["kind"] == "NetworkPolicy" and _matches(p["spec"]["podSelector"], target_labels)
    ]
    if not selecting:
        return True
    for policy in selecting:
        for rule in policy["spec"].get("ingress", []):
            ports = [p["port"] for p in rule.get("ports", [])]
            if ports and port not in ports:
                continue
            for peer in rule.get("from", []):
                if "namespaceSelector" in peer:
                    namespace_labels = {"kubernetes.io/metadata.name": source_namespace}
                    if not _matches(peer["namespaceSelector"], namespace_labels):
                        continue
                elif source_namespace != NAMESPACE:
                    continue
                if "podSelector" not in peer or _matches(peer["podSelector"], source_labels):
                    return True
    return False


def _matches(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """A Kubernetes label selector (matchLabels and matchExpressions) against labels."""
    for key, value in selector.get("matchLabels", {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions", []):
        key, operator = expression["key"], expression["operator"]
        values = expression.get("values", [])
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and labels.get(key) in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True

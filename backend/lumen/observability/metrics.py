"""Prometheus metrics of one Lumen app, served at ``GET /metrics`` (Prometheus text format).

The contract the alert rules and the Grafana dashboard rely on (infra/), every name prefixed
``lumen_`` (``METRIC_NAMES``):

- ``lumen_http_requests_total{handler,method,status}`` and
  ``lumen_http_request_duration_seconds{handler,method}``: every request but ``/metrics``,
  ``/healthz`` and ``/readyz``, from prometheus-fastapi-instrumentator. ``handler`` is the route
  template (``/api/v1/conversations/{conversation_id}``), ``none`` for a path no route has;
  ``status`` is grouped (``2xx``, ``4xx``, ``5xx``). The duration runs to the response's
  start, not to the end of its body: an answer's stream would otherwise dominate it, and has
  its own histogram.
- ``lumen_answer_first_token_seconds{engine}`` and ``lumen_answers_total{engine,status}``:
  answers, by ``engine`` (``extractive`` | ``llm`` | ``triage``, ``engine_label``) and outcome
  (``complete`` | ``stopped`` | ``failed`` | ``escalation``), from the chat endpoints
  (``AnswerMetrics.observe``).
- ``lumen_jobs{kind,status}`` and ``lumen_jobs_oldest_queued_age_seconds{kind}``: read from the
  ``jobs`` table at scrape time, one GROUP BY (``JobService.census``). When the database does
  not answer, the scrape leaves both out (and logs a warning) instead of failing.
- ``lumen_llm_breaker_open``: 1 from an LLM failure until the next success (the breaker's
  ``down`` state, open or half-open: answers come from the extractive engine), else 0; 0 when
  no LLM server is configured.
- ``lumen_audit_chain_verified`` and ``lumen_audit_last_verification_timestamp_seconds``: the
  last scheduled check of the audit chain (``lumen.audit.verification``); absent until the
  first check of this process finishes. The timestamp stops moving while the check cannot run.
- The process, platform and garbage-collector metrics of prometheus_client's default
  collectors (``process_resident_memory_bytes``, ...).

Labels never carry user data: route templates, engine names, job kinds and statuses only.
Every label value of the answer and job metrics is created at zero up front, so that a rate
starts from the first event.

Exposure: ``/metrics`` needs no session (Prometheus scrapes it). In production it is reachable
only inside the cluster: the Ingress does not route ``/metrics`` (infra/k8s/ingress.yaml),
Prometheus scrapes the pods directly; on a single host the nginx proxy refuses it
(infra/nginx/lumen.conf).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import aclosing
from datetime import UTC, datetime

import anyio
from fastapi import FastAPI
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_fastapi_instrumentator import Instrumentator
from prometheus_fastapi_instrumentator import metrics as http_metrics
from starlette.requests import Request
from starlette.responses import Response

from lumen.audit.verification import ChainWatch
from lumen.chat.answers import AnswerEvents
from lumen.chat.engines.breaker import CircuitBreaker
from lumen.chat.schemas import DoneEvent, ErrorEvent, MetaEvent, TokenEvent
from lumen.jobs.repository import STATUSES
from lumen.jobs.service import JobService

logger = logging.getLogger(__name__)

NAMESPACE = "lumen"
METRIC_NAMES = (
    "lumen_http_requests",
    "lumen_http_request_duration_seconds",
    "lumen_answer_first_token_seconds",
    "lumen_answers",
    "lumen_jobs",
    "lumen_jobs_oldest_queued_age_seconds",
    "lumen_llm_breaker_open",
    "lumen_audit_chain_verified",
    "lumen_audit_last_verification_timestamp_seconds",
)  # family names as a scrape reports them: counters without ``_total``
ENGINES = ("extractive", "llm", "triage")
ANSWER_OUTCOMES = ("complete", "stopped", "failed", "escalation")
FIRST_TOKEN_BUCKETS_S = (0.05, 0.1, 0.15, 0.25, 0.5, 1, 2, 5, 10, 30)  # the contract's
# From a cached read to a slow upload parse; the 100 ms and 250 ms edges are the usual SLOs.
HTTP_DURATION_BUCKETS_S = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
UNMEASURED_PATHS = ("/metrics", "/healthz", "/readyz")
METRICS_PATHS = ("/metrics", "/metrics/")  # the trailing slash: what the mount used to serve


def engine_label(engine: str) -> str:
    """The ``engine`` label of an answer engine's name (SSE ``meta``): ``triage`` for an
    escalation, ``extractive`` for the extractive engine whether chosen or the LLM's fallback
    (``extractive-fallback``), ``llm`` for every other engine (``openai``, the
    OpenAI-compatible one). A fixed set whatever names engines take."""
    if engine == "triage":
        return "triage"
    return "extractive" if engine.startswith("extractive") else "llm"


class AnswerMetrics:
    """``lumen_answer_first_token_seconds`` and ``lumen_answers_total`` of one app."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.first_token = Histogram(
            "answer_first_token_seconds",
            "Time from the chat request to the first answer token, seconds.",
            ["engine"],
            namespace=NAMESPACE,
            buckets=FIRST_TOKEN_BUCKETS_S,
            registry=registry,
        )
        self.answers = Counter(
            "answers_total",
            "Finished answers by engine and outcome (complete, stopped, failed, escalation).",
            ["engine", "status"],
            namespace=NAMESPACE,
            registry=registry,
        )
        for engine in ENGINES:
            self.first_token.labels(engine)
            for outcome in ANSWER_OUTCOMES:
                self.answers.labels(engine, outcome)

    async def observe(self, events: AnswerEvents, started_s: float) -> AnswerEvents:
        """Pass an answer's events through unchanged, recording its metrics.

        ``started_s`` is ``time.perf_counter()`` when the chat request reached its endpoint;
        the first ``TokenEvent`` observes the first-token time under the engine of the
        ``MetaEvent`` before it. When the stream ends the answer is counted once: as
        ``escalation`` after an escalation's meta, else ``complete`` after ``DoneEvent``,
        ``failed`` after ``ErrorEvent`` or an exception from the stream, ``stopped`` when it was
        closed or cancelled before either (the client left). A stream that fails before its
        meta has no engine and is not counted. Closing this stream closes ``events``.
        """
        engine: str | None = None
        escalation = timed = False
        outcome = "stopped"
        try:
            async with aclosing(events):
                async for event in events:
                    if isinstance(event, MetaEvent):
                        engine = engine_label(event.engine)
                        escalation = event.kind == "escalation"
                    elif isinstance(event, TokenEvent) and not timed and engine is not None:
                        self.first_token.labels(engine).observe(time.perf_counter() - started_s)
                        timed = True
                    elif isinstance(event, DoneEvent):
                        outcome = "complete"
                    elif isinstance(event, ErrorEvent):
                        outcome = "failed"
                    yield event
        except Exception:
            outcome = "failed"
            raise
        finally:
            if engine is not None:
                self.answers.labels(engine, "escalation" if escalation else outcome).inc()


class ServerGauges(Collector):
    """The gauges read from the running server at scrape time: the job census, the LLM
    breaker and the audit chain's last check. Before ``bind`` (and after ``unbind``) the
    families are reported without samples."""

    def __init__(self) -> None:
        self._bound = False
        self._jobs: JobService | None = None
        self._breaker: CircuitBreaker | None = None
        self._audit: ChainWatch | None = None

    def bind(self, jobs: JobService, breaker: CircuitBreaker | None, audit: ChainWatch) -> None:
        """Read these parts of the server from now on (``breaker`` ``None``: no LLM)."""
        self._jobs, self._breaker, self._audit = jobs, breaker, audit
        self._bound = True

    def unbind(self) -> None:
        """Stop reading the server (it is shutting down)."""
        self._bound = False
        self._jobs = self._breaker = self._audit = None

    def collect(self) -> Iterator[Metric]:
        """The families now (sync: the scrape runs it off the event loop)."""
        yield from self._job_families()
        breaker = GaugeMetricFamily(
            f"{NAMESPACE}_llm_breaker_open",
            "1 while the LLM circuit breaker is open (answers fall back to the extractive "
            "engine), else 0.",
        )
        if self._bound:
            down = self._breaker is not None and self._breaker.state == "down"
            breaker.add_metric([], 1.0 if down else 0.0)
        yield breaker
        verified = GaugeMetricFamily(
            f"{NAMESPACE}_audit_chain_verified",
            "1 when the last scheduled verification of the audit chain passed, 0 when it failed.",
        )
        verified_at = GaugeMetricFamily(
            f"{NAMESPACE}_audit_last_verification_timestamp_seconds",
            "Unix time of the last scheduled verification of the audit chain.",
        )
        last = self._audit.last if self._audit is not None else None
        if last is not None:
            verified.add_metric([], 1.0 if last.ok else 0.0)
            verified_at.add_metric([], last.at_s)
        yield verified
        yield verified_at

    def _job_families(self) -> Iterator[Metric]:
        jobs = GaugeMetricFamily(
            f"{NAMESPACE}_jobs",
            "Jobs in the jobs table by kind and status.",
            labels=["kind", "status"],
        )
        oldest = GaugeMetricFamily(
            f"{NAMESPACE}_jobs_oldest_queued_age_seconds",
            "Age of the oldest queued job by kind, seconds (0 when none is queued).",
            labels=["kind"],
        )
        if self._jobs is not None:
            try:
                census = self._jobs.census()
            except Exception as exc:  # the scrape goes on without these; the type says why
                logger.warning(
                    "job gauges left out of this scrape: the database did not answer (%s)",
                    type(exc).__name__,
                )
            else:
                now = datetime.now(UTC)
                counts = {(c.kind, c.status): c.count for c in census}
                kinds = sorted(self._jobs.kinds | {kind for kind, _ in counts})
                for kind in kinds:
                    for status in STATUSES:
                        jobs.add_metric([kind, status], float(counts.get((kind, status), 0)))
                    queued = [c for c in census if c.kind == kind and c.status == "queued"]
                    age_s = (now - queued[0].oldest_created_at).total_seconds() if queued else 0
                    oldest.add_metric([kind], max(age_s, 0.0))
        yield jobs
        yield oldest


class Metrics:
    """The registry of one app (the default collectors included), its HTTP instrumentation,
    its answer metrics and its scrape-time gauges; ``install`` adds them to the app.

    A registry per app rather than prometheus_client's global one: the gauges read this
    app's server, and a process that builds several apps (tests) keeps them apart.
    """

    def __init__(self) -> None:
        # No ``_created`` series: the text format makes each a gauge family of its own beside
        # every counter and histogram, doubling the series for nothing a rule reads. (A
        # process-wide switch of prometheus_client; nothing else here exports metrics.)
        disable_created_metrics()  # type: ignore[no-untyped-call]
        self.registry = CollectorRegistry()
        for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
            self.registry.register(collector)
        self.answers = AnswerMetrics(self.registry)
        self.server = ServerGauges()
        self.registry.register(self.server)

    def install(self, app: FastAPI) -> None:
        """Measure every request of ``app`` (middleware) and serve ``GET /metrics``. Call it
        after the app's other middleware, so that the measure includes theirs, and before a
        catch-all mount (the frontend at ``/``)."""
        unmeasured = [f"^{path}/?$" for path in UNMEASURED_PATHS]
        instrumentator = Instrumentator(excluded_handlers=unmeasured, registry=self.registry)
        instrumentator.add(
            http_metrics.requests(metric_namespace=NAMESPACE, registry=self.registry),
            http_metrics.latency(
                metric_namespace=NAMESPACE,
                should_include_status=False,
                should_exclude_streaming_duration=True,
                buckets=HTTP_DURATION_BUCKETS_S,
                registry=self.registry,
            ),
        )
        instrumentator.instrument(app)
        for path in METRICS_PATHS:
            app.add_route(path, self._scrape, methods=["GET"], include_in_schema=False)

    async def _scrape(self, request: Request) -> Response:
        # The job census queries the database: off the event loop.
        body = await anyio.to_thread.run_sync(generate_latest, self.registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

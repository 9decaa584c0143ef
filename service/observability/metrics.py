"""Prometheus metrics of one app, and their exposition for ``/metrics``.

Several uvicorn workers are separate processes: with ``PROMETHEUS_MULTIPROC_DIR`` set (as
`hotline serve` does when it starts more than one worker) every process writes its values to
files there and ``/metrics``, whichever worker answers, sums them. Without it each process
serves its own values.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any, Final

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

MULTIPROC_ENV: Final = "PROMETHEUS_MULTIPROC_DIR"
LATENCY_BUCKETS: Final = (
    0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
)  # fmt: skip
BATCH_BUCKETS: Final = (1, 2, 4, 8, 16, 32, 64, 128, 256)


class Metrics:
    """Every metric the service exports.

    Parameters
    ----------
    registry : prometheus_client.CollectorRegistry, optional
        A fresh one per app by default, so two apps in one process (tests) do not share
        counts.

    Attributes
    ----------
    request_duration : Histogram
        ``hotline_http_request_duration_seconds{method, route, status}``; ``route`` is the
        template (``/v1/decisions/{decision_id}``) or ``unmatched``.
    in_flight : Gauge
        ``hotline_http_requests_in_flight``: requests being handled (summed over workers).
    admission_rejections : Counter
        ``hotline_admission_rejections_total``: requests refused with 503 (too many in flight).
    scores : Counter
        ``hotline_scores_total{band}``.
    recommendations : Counter
        ``hotline_recommendations_total{recommendation}``.
    rule_hits : Counter
        ``hotline_rule_hits_total{rule_id}``.
    model_version : Gauge
        ``hotline_model_version``: registry version of the model in use.
    log_batch_size : Histogram
        ``hotline_decision_log_batch_size``: score records per decision-log transaction.
    log_write_failures : Counter
        ``hotline_decision_log_write_failures_total``: score records whose batch could not be
        written (each refused with 503).
    """

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.request_duration = Histogram(
            "hotline_http_request_duration_seconds",
            "Time to answer a request, by route template and status.",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.in_flight = Gauge(
            "hotline_http_requests_in_flight",
            "Requests being handled.",
            registry=r,
            multiprocess_mode="livesum",
        )
        self.admission_rejections = Counter(
            "hotline_admission_rejections",
            "Requests refused with 503 because too many were in flight.",
            registry=r,
        )
        self.scores = Counter("hotline_scores", "Scores returned, by band.", ["band"], registry=r)
        self.recommendations = Counter(
            "hotline_recommendations",
            "Recommendations returned, by value.",
            ["recommendation"],
            registry=r,
        )
        self.rule_hits = Counter(
            "hotline_rule_hits", "Policy rules that fired, by rule id.", ["rule_id"], registry=r
        )
        self.model_version = Gauge(
            "hotline_model_version",
            "Registry version of the model in use.",
            registry=r,
            multiprocess_mode="livemax",
        )
        self.log_batch_size = Histogram(
            "hotline_decision_log_batch_size",
            "Score records written per decision-log transaction (group commit).",
            buckets=BATCH_BUCKETS,
            registry=r,
        )
        self.log_write_failures = Counter(
            "hotline_decision_log_write_failures",
            "Score records whose decision-log batch could not be written (each a 503).",
            registry=r,
        )
        # Children by labels: ``.labels()`` validates and looks them up under a lock on every
        # call; the label sets are few (templates, bands, rule ids), so each is resolved once.
        self._children: dict[tuple[object, tuple[str, ...]], Any] = {}

    def child(self, metric: Counter | Histogram, *labels: str) -> Any:
        """Return ``metric.labels(*labels)``, resolved once per label set.

        Parameters
        ----------
        metric : Counter or Histogram
            One of this object's labelled metrics.
        *labels : str

        Returns
        -------
        The child metric (``.inc()`` / ``.observe()``).
        """
        key = (metric, labels)
        found = self._children.get(key)
        if found is None:
            found = self._children[key] = metric.labels(*labels)
        return found

    def observe_score(
        self, *, band: str, recommendation: str, rule_ids: Iterable[str], model_version: int
    ) -> None:
        """Count one returned score.

        Parameters
        ----------
        band : str
        recommendation : str
        rule_ids : iterable of str
            The rules that fired.
        model_version : int
        """
        self.child(self.scores, band).inc()
        self.child(self.recommendations, recommendation).inc()
        for rule_id in rule_ids:
            self.child(self.rule_hits, rule_id).inc()
        self.model_version.set(model_version)

    def close(self) -> None:
        """Drop this process's live gauges from the shared directory (at worker shutdown)."""
        if os.environ.get(MULTIPROC_ENV):
            mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]

    def observe_batch(self, size: int, ok: bool) -> None:
        """Record one decision-log batch (a :class:`GroupCommitter` listener).

        Parameters
        ----------
        size : int
            Records in the batch.
        ok : bool
            Whether it was committed.
        """
        self.log_batch_size.observe(size)
        if not ok:
            self.log_write_failures.inc(size)


def metrics_payload(metrics: Metrics) -> tuple[bytes, str]:
    """Render the metrics in Prometheus' text format.

    Parameters
    ----------
    metrics : Metrics
        This process's metrics (used when there is no multiprocess directory).

    Returns
    -------
    body : bytes
    content_type : str
    """
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(metrics.registry), CONTENT_TYPE_LATEST

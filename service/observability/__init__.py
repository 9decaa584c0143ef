"""Observability: a request id on every request, one JSON log line each, Prometheus metrics.

:class:`ObservabilityMiddleware` (outermost) gives each request an id (a sane incoming
``X-Request-ID`` or a new one), returns it in the ``X-Request-ID`` header, times the request and
writes one ``hotline.access`` JSON line and the HTTP metrics. :class:`Metrics` holds every
metric of one app; ``/metrics`` serves them (all workers' when ``PROMETHEUS_MULTIPROC_DIR`` is
set). Logs and metrics carry no personal data: no bodies, no referral fields, no keys.
"""

from service.observability.logging import JsonFormatter, access_log_record, log_config
from service.observability.metrics import Metrics, metrics_payload
from service.observability.middleware import ObservabilityMiddleware
from service.observability.request_id import (
    REQUEST_ID_HEADER,
    current_request_id,
    request_id_from,
)

__all__ = [
    "REQUEST_ID_HEADER",
    "JsonFormatter",
    "Metrics",
    "ObservabilityMiddleware",
    "access_log_record",
    "current_request_id",
    "log_config",
    "metrics_payload",
    "request_id_from",
]

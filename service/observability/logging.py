"""Structured logs: one JSON object per line, with the request id of the request being handled.

Never log personal data: no request or response bodies, no referral fields, no keys. The
access line (:func:`access_log_record`) names the route *template* (``/v1/decisions/{id}``),
never the raw path.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import traceback
from typing import Any, Final

from service.observability.request_id import current_request_id

ACCESS_LOGGER: Final = "hotline.access"
_FIELDS: Final = "fields"


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON line: time, level, logger, process, message and its fields.

    Structured fields are passed as ``extra={"fields": {...}}``; the current request id is
    added when there is one.
    """

    def format(self, record: logging.LogRecord) -> str:
        """Render one record.

        Parameters
        ----------
        record : logging.LogRecord

        Returns
        -------
        str
            One line of JSON.
        """
        out: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            # Which worker: with --workers N, N processes write to one stream.
            "pid": record.process,
            "message": record.getMessage(),
        }
        # The id stamped on the record when it was made (RequestIdFilter), else the current
        # one: a handler that formats later (a queue, a test's capture) still names the request.
        request_id = getattr(record, "request_id", None) or current_request_id()
        if request_id is not None:
            out["request_id"] = request_id
        fields = getattr(record, _FIELDS, None)
        if isinstance(fields, dict):
            out.update(fields)
        if isinstance(record.exc_info, tuple) and record.exc_info[0] is not None:
            # The exception types and the frames, never the messages: a database error's
            # message quotes the parameters it was given, i.e. the record being written.
            exc = record.exc_info[1]
            out["error"] = record.exc_info[0].__name__
            causes: list[str] = []
            while exc is not None and exc.__cause__ is not None and len(causes) < 5:
                exc = exc.__cause__
                causes.append(type(exc).__name__)
            if causes:
                out["caused_by"] = causes
            out["traceback"] = "".join(traceback.format_tb(record.exc_info[2]))
        return json.dumps(out, ensure_ascii=False, default=str)


class RequestIdFilter(logging.Filter):
    """Stamp each record with the id of the request it was logged in (never drops one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Add ``request_id`` to the record if a request is being handled.

        Parameters
        ----------
        record : logging.LogRecord

        Returns
        -------
        bool
            Always True.
        """
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id()
        return True


def access_log_record(
    *,
    request_id: str,
    method: str,
    route: str,
    status: int,
    duration_ms: float,
    model_version: int | None,
) -> dict[str, Any]:
    """Build the fields of the one access line a request writes.

    Parameters
    ----------
    request_id : str
    method : str
    route : str
        The route template, or ``unmatched``.
    status : int
    duration_ms : float
    model_version : int or None
        The model that scored the request, if one did.

    Returns
    -------
    dict
        For ``logger.info("request", extra={"fields": ...})``.
    """
    fields: dict[str, Any] = {
        "request_id": request_id,
        "event": "request",
        "method": method,
        "route": route,
        "status": status,
        "duration_ms": round(duration_ms, 3),
    }
    if model_version is not None:
        fields["model_version"] = model_version
    return fields


def log_config(level: str = "info") -> dict[str, Any]:
    """Return a :func:`logging.config.dictConfig` that writes every logger as JSON lines.

    Used by `hotline serve` in place of uvicorn's own configuration (whose access log is
    turned off: :class:`~service.observability.ObservabilityMiddleware` writes a better one).

    Parameters
    ----------
    level : str, default "info"

    Returns
    -------
    dict
    """
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "json",
        "filters": ["request_id"],
        "stream": "ext://sys.stderr",
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": f"{__name__}.JsonFormatter"}},
        "filters": {"request_id": {"()": f"{__name__}.RequestIdFilter"}},
        "handlers": {"default": handler},
        "root": {"handlers": ["default"], "level": level.upper()},
        "loggers": {
            "uvicorn": {"handlers": [], "level": level.upper(), "propagate": True},
            "uvicorn.error": {"handlers": [], "level": level.upper(), "propagate": True},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": True},
            # At INFO SQLAlchemy logs every statement with its parameters, which include the
            # (pseudonymized) referral: never below WARNING.
            "sqlalchemy": {"handlers": [], "level": "WARNING", "propagate": True},
        },
    }

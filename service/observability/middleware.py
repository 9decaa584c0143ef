"""The outermost middleware: request id, timing, one access line and the HTTP metrics.

It also marks every answer under ``/v1/`` ``Cache-Control: no-store``: those carry personal
data (decision records) or secrets (a key ``POST /v1/keys`` just made), which no browser or
proxy cache may keep. Here, because every answer passes this point, refusals included.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Final

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.observability.logging import ACCESS_LOGGER, access_log_record
from service.observability.metrics import Metrics
from service.observability.request_id import (
    REQUEST_ID_HEADER,
    request_id_from,
    reset_request_id,
    set_request_id,
)
from service.observability.route_template import RouteTemplates

access_log = logging.getLogger(ACCESS_LOGGER)
log = logging.getLogger("hotline.service")

CLIENT_CLOSED: Final = 499
"""Status logged and counted for a request whose client left before sending its body."""
# Methods are labels: anything else a client invents is counted as "other", so a scanner
# cannot grow the number of series.
_METHODS: Final = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_HEADER: Final = REQUEST_ID_HEADER.encode()
_CACHE_CONTROL: Final = b"cache-control"
_NO_STORE: Final = (_CACHE_CONTROL, b"no-store")


class ObservabilityMiddleware:
    """Give each HTTP request an id, time it, log one JSON line and record its metrics.

    Parameters
    ----------
    app : ASGI app
    metrics : Metrics
    internal_error : callable, optional
        Makes the ASGI response to an exception that no handler took, sent when nothing was
        sent yet (e.g. :func:`service.errors.internal_error_response`). Without it such an
        exception goes on to the server, which answers with a plain-text 500 that carries
        neither the error shape nor the request id.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: Metrics,
        internal_error: Callable[[], ASGIApp] | None = None,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.internal_error = internal_error
        self.route_template = RouteTemplates()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI call."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = next((v for k, v in scope["headers"] if k == _HEADER), None)
        request_id = request_id_from(incoming.decode("latin-1") if incoming else None)
        token = set_request_id(request_id)
        status = 500  # if the app fails before answering, the server's answer is a 500
        start = time.perf_counter()

        status_sent = False
        private = scope["path"].startswith("/v1/")

        async def send_with_id(message: Message) -> None:
            nonlocal status, status_sent
            if message["type"] == "http.response.start":
                status, status_sent = message["status"], True
                dropped = (_HEADER, _CACHE_CONTROL) if private else (_HEADER,)
                headers = [(k, v) for k, v in message.get("headers", []) if k not in dropped]
                headers.append((_HEADER, request_id.encode()))
                if private:
                    headers.append(_NO_STORE)
                message = {**message, "headers": headers}
            await send(message)

        self.metrics.in_flight.inc()
        try:
            await self.app(scope, receive, send_with_id)
        except ClientDisconnect:
            # The client went away before its body arrived: nobody to answer, and not the
            # service's fault. It was logged as an internal error with a traceback and
            # counted as a 500; it is now counted and logged as nginx's 499.
            status = CLIENT_CLOSED
        except Exception:
            # Logged here, under the request's id (types and frames only: see logging.py);
            # once a response has begun there is no other answer to give, so it goes on.
            log.exception("unhandled error in %s %s", scope["method"], self.route_template(scope))
            if status_sent or self.internal_error is None:
                raise
            await self.internal_error()(scope, receive, send_with_id)
        finally:
            self.metrics.in_flight.dec()
            elapsed = time.perf_counter() - start
            method = scope["method"] if scope["method"] in _METHODS else "other"
            route = self.route_template(scope)
            self.metrics.child(self.metrics.request_duration, method, route, str(status)).observe(
                elapsed
            )
            state = scope.get("state")
            model_version = state.get("model_version") if isinstance(state, dict) else None
            access_log.info(
                "request",
                extra={
                    "fields": access_log_record(
                        request_id=request_id,
                        method=method,
                        route=route,
                        status=status,
                        duration_ms=elapsed * 1000,
                        model_version=model_version,
                    )
                },
            )
            reset_request_id(token)

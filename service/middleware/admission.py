"""Admission control: bound the requests in flight per worker, refuse the excess at once.

Without a bound, a burst queues inside the worker and every request waits behind it (p99 of
5-8 s at 64 clients on one worker, docs/performance.md). Past ``max_in_flight`` a request is
answered immediately with 503 ``overloaded`` and ``Retry-After: 1``, so the client (or the
proxy, which may try the other replica) retries instead of waiting. Health, readiness and
metrics are never refused: probes must see a busy worker as alive.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from starlette.types import ASGIApp, Receive, Scope, Send

from service.errors import Overloaded, service_error_response

EXEMPT_PATHS: Final = frozenset({"/health", "/ready", "/metrics"})
RETRY_AFTER_SECONDS: Final = 1
_MESSAGE: Final = (
    "This worker is handling {limit} requests already (HOTLINE_MAX_IN_FLIGHT); "
    "retry in {retry} second"
)


class AdmissionMiddleware:
    """Refuse HTTP requests beyond ``max_in_flight`` with 503 and ``Retry-After``.

    The count needs no lock: it is changed only on the event loop, between awaits.

    Parameters
    ----------
    app : ASGI app
    max_in_flight : int
        Most requests handled at once by this worker (exempt paths not counted).
    on_reject : callable, optional
        Called once per refused request (the rejection counter).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_in_flight: int,
        on_reject: Callable[[], None] | None = None,
    ) -> None:
        if max_in_flight < 1:
            raise ValueError(f"max_in_flight must be at least 1, got {max_in_flight}")
        self.app = app
        self.max_in_flight = max_in_flight
        self.on_reject = on_reject
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI call."""
        if scope["type"] != "http" or scope["path"] in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.max_in_flight:
            if self.on_reject is not None:
                self.on_reject()
            refusal = Overloaded(
                _MESSAGE.format(limit=self.max_in_flight, retry=RETRY_AFTER_SECONDS)
            )
            response = service_error_response(refusal, retry_after=RETRY_AFTER_SECONDS)
            await response(scope, receive, send)
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1

"""Admission control: bound the requests in flight per worker, refuse the excess at once.

Without a bound, a burst queues inside the worker and every request waits behind it (p99 of
5-8 s at 64 clients on one worker, docs/performance.md). Past ``max_in_flight`` a request is
answered immediately with 503 ``overloaded`` and ``Retry-After: 1``, so the client (or the
proxy, which may try the other replica) retries instead of waiting. Health, readiness and
metrics are never refused: probes must see a busy worker as alive.

A request is not counted while the app waits for its body: a request costs the worker nothing
while its body is on the way, and counting it then let 64 clients that sent their headers and
then a byte now and again refuse every screener on a two-worker server. It is counted from the
door, as any request, and again once its body has arrived (refused then if the worker filled
up meanwhile, before any of the body is parsed); a route that never reads its body (a body sent
to a GET) is counted throughout. How long a body may take is the body limit's concern.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.errors import Overloaded, RequestRefused, service_error_response

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
        Most requests handled at once by this worker (exempt paths not counted, nor
        requests whose body is still arriving).
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
        if self._full():
            response = service_error_response(
                Overloaded(self._message()), retry_after=RETRY_AFTER_SECONDS
            )
            await response(scope, receive, send)
            return
        self.in_flight += 1
        counted, body_done = True, not _has_body(scope)

        async def counting_receive() -> Message:
            nonlocal counted, body_done
            if body_done:
                return await receive()
            if counted:  # not counted while the body is on its way
                self.in_flight -= 1
                counted = False
            message = await receive()
            body_done = message["type"] != "http.request" or not message.get("more_body", False)
            if body_done and message["type"] == "http.request":
                if self._full():
                    # Raised inside the app, so its handlers answer (the same body and
                    # Retry-After as a refusal at the door) and the access log names the route.
                    raise RequestRefused(
                        Overloaded.status_code,
                        self._message(),
                        field=None,
                        code=Overloaded.code,
                        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
                    )
                self.in_flight += 1
                counted = True
            return message

        try:
            await self.app(scope, counting_receive, send)
        finally:
            if counted:
                self.in_flight -= 1

    def _full(self) -> bool:
        # True when no slot is free; the refusal that follows is counted here, once.
        if self.in_flight < self.max_in_flight:
            return False
        if self.on_reject is not None:
            self.on_reject()
        return True

    def _message(self) -> str:
        return _MESSAGE.format(limit=self.max_in_flight, retry=RETRY_AFTER_SECONDS)


def _has_body(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"transfer-encoding":
            return True
        if name == b"content-length":
            return value.strip() not in (b"0", b"")
    return False

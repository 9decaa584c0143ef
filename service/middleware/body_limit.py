"""Refuse request bodies larger than a limit (413), counting bytes as they arrive.

A declared ``Content-Length`` over the limit is refused before the app runs. A chunked body
(no length) is counted chunk by chunk while the app reads it, and refused the moment it
passes the limit, so an endless body never gets buffered in memory.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.errors import RequestRefused, error_response

_TOO_LARGE = (
    "The request body is {size} bytes; at most {limit} are accepted (HOTLINE_MAX_BODY_BYTES)"
)
_TOO_LARGE_STREAMED = (
    "The request body passed {limit} bytes, the most accepted (HOTLINE_MAX_BODY_BYTES)"
)


class BodyLimitMiddleware:
    """Cap the size of every request body.

    Parameters
    ----------
    app : ASGI app
    max_bytes : int
        Largest accepted body.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse an oversized body; pass anything else through."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            message = _TOO_LARGE.format(size=declared, limit=self.max_bytes)
            response = error_response(413, message, field="body", headers={"Connection": "close"})
            await response(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    text = _TOO_LARGE_STREAMED.format(limit=self.max_bytes)
                    # The rest of the body is still coming: without "close" the server kept
                    # the connection and read (and dropped) an endless body for as long as
                    # the client cared to send it.
                    raise RequestRefused(413, text, field="body", headers={"Connection": "close"})
            return message

        await self.app(scope, limited_receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses a malformed length before we see it
    return None

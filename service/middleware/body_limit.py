"""Refuse request bodies larger than a limit (413) or slower than a deadline (408).

A declared ``Content-Length`` over the limit is refused before the app runs. A chunked body
(no length) is counted chunk by chunk while the app reads it, and refused the moment it
passes the limit, so an endless body never gets buffered in memory.

The whole body must arrive within ``timeout`` seconds of the app's first read. uvicorn
bounds how long a connection may idle between requests, not how long a body may take: a
client that sent its headers and then a byte now and again kept its request, and its
connection, open for as long as it cared to.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.errors import RequestRefused, error_response

_TOO_LARGE = (
    "The request body is {size} bytes; at most {limit} are accepted (HOTLINE_MAX_BODY_BYTES)"
)
_TOO_LARGE_STREAMED = (
    "The request body passed {limit} bytes, the most accepted (HOTLINE_MAX_BODY_BYTES)"
)
_TOO_SLOW = (
    "The request body did not arrive within {timeout:g} seconds (HOTLINE_BODY_TIMEOUT_SECONDS)"
)


class BodyLimitMiddleware:
    """Cap the size of every request body and the time it may take to arrive.

    Parameters
    ----------
    app : ASGI app
    max_bytes : int
        Largest accepted body.
    timeout : float
        Seconds the whole body may take, from the app's first read.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int, timeout: float) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse an oversized or too slow body; pass anything else through."""
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
        deadline: float | None = None
        complete = False

        async def limited_receive() -> Message:
            nonlocal received, deadline, complete
            if complete:  # what follows the body is the disconnect, which may come any time
                return await receive()
            if deadline is None:
                deadline = asyncio.get_running_loop().time() + self.timeout
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                text = _TOO_SLOW.format(timeout=self.timeout)
                raise RequestRefused(
                    408, text, field="body", headers={"Connection": "close"}
                ) from None
            if message["type"] == "http.request":
                complete = not message.get("more_body", False)
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

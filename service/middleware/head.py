"""Answer HEAD on every GET route: run the GET, send its status and headers, drop its body.

FastAPI's GET routes do not take HEAD (they answered 405), unlike Starlette's own routes;
yet a HEAD is a GET without the content (RFC 9110, 9.3.2), and browsers, link checkers and
proxies send it to the report pages, where Basic authentication is taken on GET and HEAD.
One rule here, rather than ``methods=["GET", "HEAD"]`` on each route, also keeps HEAD out of
the OpenAPI document, which would otherwise list every GET twice under one operation id.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGetMiddleware:
    """Serve a HEAD request as the GET of the same URL, without the body.

    The status and headers are the GET's (``Content-Length`` included, as RFC 9110 allows),
    and so are its key and role checks: the route sees a GET. The body is dropped here, so
    the answer does not depend on the server dropping it.

    Parameters
    ----------
    app : ASGI app
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI call."""
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return  # nothing to send until the last part, which closes the response
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        # A copy: the server reads the method in its own scope when the body is sent (with
        # "GET" there, uvicorn expects the GET's Content-Length bytes and fails the response
        # as too short). What the router writes into the copy (the matched route, path
        # parameters) goes back, as it would for a GET, for the access log and metrics
        # around this middleware.
        inner = {**scope, "method": "GET"}
        try:
            await self.app(inner, receive, headers_only)
        finally:
            scope.update({key: value for key, value in inner.items() if key != "method"})

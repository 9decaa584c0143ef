"""Refuse a request body that is not JSON (415), on every route.

Every route that takes a body takes JSON, so the rule is global: a request that carries a
body (a non-zero ``Content-Length``, or chunked) must say ``application/json`` (or a
``+json`` type). Without this, FastAPI would try to parse a form or plain text as JSON and
answer with a confusing 422.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from service.errors import error_response

_NOT_JSON = "Content-Type {value!r} is not accepted; send the body as application/json"


class JsonContentTypeMiddleware:
    """Answer 415 to a request body whose media type is not JSON.

    Parameters
    ----------
    app : ASGI app
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse a non-JSON body; pass anything else through."""
        if scope["type"] == "http":
            headers: list[tuple[bytes, bytes]] = list(scope.get("headers", ()))
            has_body = any(
                (name == b"content-length" and value.strip() not in (b"0", b""))
                or name == b"transfer-encoding"
                for name, value in headers
            )
            # Every Content-Type header, not one of them: routes read the first (Starlette's
            # headers.get), so checking only the last let "text/plain" then "application/json"
            # through (/v1/score scored the body; FastAPI's own routes answered a vague 422).
            types = [v.decode("latin-1") for k, v in headers if k == b"content-type"] or [""]
            refused = next((t for t in types if not is_json(t)), None)
            if has_body and refused is not None:
                message = _NOT_JSON.format(value=refused)
                response = error_response(415, message, field="header.content-type")
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def is_json(content_type: str) -> bool:
    """Say whether a Content-Type header names JSON (parameters such as charset allowed).

    Parameters
    ----------
    content_type : str

    Returns
    -------
    bool
    """
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )

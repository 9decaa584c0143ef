"""Error responses in the OpenAPI document: the body the service sends, not FastAPI's default.

FastAPI documents a 422 as its own ``{"detail": [...]}`` (``HTTPValidationError``) and the
other statuses a route lists without a body. Every error this service sends is an
:class:`~service.schemas.ErrorBody` (see :mod:`service.errors`); generated clients and the
schemathesis run in ``make test`` should see that, and check it.

Some answers come from outside the route, so no route lists them: the middleware's 503
``overloaded``, 408, 413 and 415 (any route), and the key guard's 503 ``auth_unavailable`` (any
protected route, whose own 503 would otherwise hide it). They are added to every operation
they can come from.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, Final

from fastapi import FastAPI

from service.auth.enforce import AUTH_RESPONSES, RETRY_AFTER
from service.middleware.admission import EXEMPT_PATHS
from service.schemas import ErrorBody

_REF: Final = "#/components/schemas/{model}"
_FASTAPI_422: Final = ("HTTPValidationError", "ValidationError")
_ANY_ROUTE: Final[dict[str, dict[str, Any]]] = {
    "408": {
        "description": "The body did not arrive within HOTLINE_BODY_TIMEOUT_SECONDS "
        "(code body_timeout)."
    },
    "413": {"description": "The body is larger than HOTLINE_MAX_BODY_BYTES (code body_too_large)."},
    "415": {
        "description": "The request has a body that is not application/json "
        "(code unsupported_media_type)."
    },
}
"""Refusals of the middleware in front of every route (service.middleware)."""
_OVERLOADED: Final[dict[str, Any]] = {
    "description": "This worker has too many requests in flight (code overloaded).",
    "headers": RETRY_AFTER,
}
"""The admission middleware's refusal, on every path but the probes and /metrics."""


def document_error_bodies(app: FastAPI) -> None:
    """Make every 4xx and 5xx response of the app's OpenAPI document an ``ErrorBody``.

    A response that documents a body of its own (``/ready``'s 503 is a ``Readiness``) keeps
    it. Call it after :func:`~service.api.json_body.publish_body_schemas`: each wraps the
    document the one before it built.

    Parameters
    ----------
    app : fastapi.FastAPI
    """
    generate: Callable[[], dict[str, Any]] = app.openapi
    error_schema = {"$ref": _REF.format(model=ErrorBody.__name__)}

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = generate()
        fastapi_422 = {"$ref": _REF.format(model=_FASTAPI_422[0])}
        for path, operations in document.get("paths", {}).items():
            for operation in operations.values():
                _add_answers_from_outside(operation.setdefault("responses", {}), path=path)
                for status, response in operation.get("responses", {}).items():
                    if not status.startswith(("4", "5")):
                        continue
                    content = response.get("content", {}).get("application/json", {})
                    if not content or content.get("schema") == fastapi_422:
                        response["content"] = {"application/json": {"schema": error_schema}}
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        for name in _FASTAPI_422:
            schemas.pop(name, None)  # no response refers to them any more
        generated = ErrorBody.model_json_schema(ref_template=_REF, mode="serialization")
        for name, definition in generated.pop("$defs", {}).items():
            schemas.setdefault(name, definition)
        schemas[ErrorBody.__name__] = generated
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def _add_answers_from_outside(responses: dict[str, Any], *, path: str) -> None:
    # What the middleware and the key guard answer before the route runs.
    added = list(_ANY_ROUTE.items())
    if "401" in responses:  # a protected route: the guard may also find the key store down
        added += [(str(status), response) for status, response in AUTH_RESPONSES.items()]
    if path not in EXEMPT_PATHS:
        added.append(("503", _OVERLOADED))
    for status, response in added:
        # Copies: the loop in document_error_bodies writes each response's content.
        responses[status] = copy.deepcopy(_joined(responses.get(status), response))


def _joined(first: dict[str, Any] | None, second: dict[str, Any]) -> dict[str, Any]:
    # One response that says both: the first description (the route's own), then the second.
    if first is None:
        return second
    description = first.get("description", "")
    if second["description"] not in description:
        description = f"{description} {second['description']}".strip()
    joined = {**first, "description": description}
    headers = {**first.get("headers", {}), **second.get("headers", {})}
    if headers:
        joined["headers"] = headers
    return joined

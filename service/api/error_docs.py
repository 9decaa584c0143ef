"""Error responses in the OpenAPI document: the body the service sends, not FastAPI's default.

FastAPI documents a 422 as its own ``{"detail": [...]}`` (``HTTPValidationError``) and the
other statuses a route lists without a body. Every error this service sends is an
:class:`~service.schemas.ErrorBody` (see :mod:`service.errors`); generated clients and the
schemathesis run in ``make test`` should see that, and check it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from fastapi import FastAPI

from service.schemas import ErrorBody

_REF: Final = "#/components/schemas/{model}"
_FASTAPI_422: Final = ("HTTPValidationError", "ValidationError")


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
        for operations in document.get("paths", {}).values():
            for operation in operations.values():
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

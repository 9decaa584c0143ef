"""Service exceptions and their translation to HTTP, in one place.

Hierarchy::

    ServiceError
    ├── ModelUnavailable   no model is loaded (503)
    ├── ReportNotFound     no such model version, alias or audit document (404)
    └── Overloaded         too many requests in flight in this worker (503, Retry-After: 1)

the decision log's own errors (:mod:`service.decision_log.errors`), translated by
:data:`DECISION_LOG_HTTP`, and access control's (:mod:`service.auth.errors`), by
:data:`AUTH_HTTP`. Middleware that refuses a request before the app runs (body too large,
wrong content type) builds its response with :func:`error_response`.

Every error body has the same shape: ``{"error": {"code", "message", "fields": [...]}}``
where each field names its location and what was wrong with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from service.api.json_body import unreadable_body
from service.auth.deps import READ_METHODS
from service.auth.errors import (
    AuthError,
    AuthUnavailable,
    DuplicateKeyName,
    Forbidden,
    KeyNotFound,
    Unauthenticated,
)
from service.decision_log.errors import (
    DecisionLogError,
    DecisionLogUnavailable,
    DecisionNotFound,
    InvalidScreening,
    OverrideNotPermitted,
    ScreeningAlreadyRecorded,
    UnknownService,
)
from service.observability.request_id import current_request_id
from service.rules.errors import RulesBlocked

DECISION_LOG_HTTP: dict[type[DecisionLogError], tuple[int, str]] = {
    DecisionLogUnavailable: (503, "decision_log_unavailable"),
    DecisionNotFound: (404, "decision_not_found"),
    ScreeningAlreadyRecorded: (409, "screening_already_recorded"),
    InvalidScreening: (422, "invalid_screening"),
    UnknownService: (422, "unknown_service"),
    OverrideNotPermitted: (403, "override_not_permitted"),
}
"""Status and stable code of each decision-log error."""

# The part of the request each error is about (InvalidScreening carries its own field).
_DECISION_LOG_FIELDS: dict[type[DecisionLogError], str] = {
    DecisionNotFound: "path.decision_id",
    ScreeningAlreadyRecorded: "path.decision_id",
}

_AUTH_FIELDS: dict[type[AuthError], str] = {
    KeyNotFound: "path.name_or_id",
    DuplicateKeyName: "body.name",
}

AUTH_HTTP: dict[type[AuthError], tuple[int, str]] = {
    Unauthenticated: (401, "unauthenticated"),
    Forbidden: (403, "forbidden"),
    AuthUnavailable: (503, "auth_unavailable"),
    KeyNotFound: (404, "key_not_found"),
    DuplicateKeyName: (409, "duplicate_key_name"),
}
"""Status and stable code of each access-control error."""

_HTTP_CODES = {
    404: "not_found",
    405: "method_not_allowed",
    408: "body_timeout",
    413: "body_too_large",
    415: "unsupported_media_type",
}


class ServiceError(Exception):
    """Base class of errors raised by the service; carries an HTTP status and a code."""

    status_code = 500
    code = "internal_error"


NO_MODEL_PUBLIC: Final = "no model is loaded; the service's log and GET /v1/models say why"
"""What a client is told when no model is loaded, in production (no paths, no artifact)."""


class ModelUnavailable(ServiceError):
    """No model is loaded, so nothing can be scored."""

    status_code = 503
    code = "model_unavailable"


class ReportNotFound(ServiceError):
    """No such model version or alias, or its audit bundle lacks the document asked for.

    Parameters
    ----------
    message : str
    field : str, default "path.version"
        The part of the request at fault (``path.document`` for a document the bundle lacks).
    """

    status_code = 404
    code = "report_not_found"

    def __init__(self, message: str, *, field: str = "path.version") -> None:
        super().__init__(message)
        self.field = field


class Overloaded(ServiceError):
    """Too many requests are in flight in this worker; answered at once so the client retries."""

    status_code = 503
    code = "overloaded"


def error_body(
    code: str, message: str, fields: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """Build the JSON body every error response shares.

    Parameters
    ----------
    code : str
        Stable, machine-readable error code.
    message : str
        One readable sentence.
    fields : list of dict, optional
        ``{"field": "children.0.age_years", "message": ...}`` per offending field.

    Returns
    -------
    dict
        With the request's id as ``request_id`` (also in the ``X-Request-ID`` header), so a
        screener can quote it and an operator find the log line.
    """
    body: dict[str, Any] = {"error": {"code": code, "message": message, "fields": fields or []}}
    request_id = current_request_id()
    if request_id is not None:
        body["request_id"] = request_id
    return body


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p != "body"]
        field = ".".join(loc) or "body"
        message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        ctx = err.get("ctx") or {}
        position = err.get("loc", ())[1:]
        if err.get("type") == "json_invalid" and len(position) == 1:
            # Malformed JSON is located by a character offset (FastAPI's ("body", 3)); as a
            # field, "3" read like row 3 of a list body. The offset goes in the message.
            field = "body"
            message = f"{message} at character {position[0]}: {ctx.get('error', 'invalid')}"
        item: dict[str, Any] = {"field": field, "message": message, "type": err.get("type")}
        if "expected" in ctx:
            item["accepted"] = str(ctx["expected"])
        out.append(item)
    return out


async def _on_validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    fields = _field_errors(exc)
    first = fields[0] if fields else {"field": "body", "message": "invalid"}
    message = f"{first['field']}: {first['message']}"
    if len(fields) > 1:
        message += f" (and {len(fields) - 1} more)"
    return JSONResponse(status_code=422, content=error_body("invalid_request", message, fields))


async def _on_service_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    headers = {"Retry-After": "30"} if exc.status_code == 503 else None
    message = str(exc)
    if isinstance(exc, ModelUnavailable) and in_production(request):
        # The holder's reason names the registry's directory or an artifact's fault: a
        # screener's client needs neither (as /ready does not), data scientists have them.
        message = NO_MODEL_PUBLIC
    # A missing report is the version (or document) asked for; no model loaded, or too much
    # load, is the service's state, and no part of the request is at fault.
    fields = []
    if isinstance(exc, ReportNotFound):
        fields = [{"field": exc.field, "message": message, "type": exc.code}]
    return JSONResponse(
        status_code=exc.status_code,
        content=error_body(exc.code, message, fields),
        headers=headers,
    )


RULES_BLOCKED: Final = (
    "This worker applies no rules: its rules file was changed under a version already served "
    "with other rules, and must raise its version. Nothing is scored meanwhile; the "
    "service's log names the file"
)


async def _on_rules_blocked(request: Request, exc: Exception) -> JSONResponse:
    # The exception names the file on the server: the log has it, the client gets the gist.
    return JSONResponse(
        status_code=503,
        content=error_body("rules_unavailable", RULES_BLOCKED),
        headers={"Retry-After": "30"},
    )


def in_production(request: Request) -> bool:
    """Say whether the app serving a request runs with ``environment`` ``production``.

    Parameters
    ----------
    request : fastapi.Request

    Returns
    -------
    bool
    """
    settings = getattr(request.app.state, "settings", None)
    return getattr(settings, "environment", None) == "production"


async def _on_decision_log_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DecisionLogError)
    status, code = DECISION_LOG_HTTP.get(type(exc), (500, "decision_log_error"))
    fields = []
    if isinstance(exc, InvalidScreening):
        fields = [{"field": exc.field, "message": str(exc), "type": "value_error"}]
    elif type(exc) in _DECISION_LOG_FIELDS:
        fields = [{"field": _DECISION_LOG_FIELDS[type(exc)], "message": str(exc), "type": code}]
    headers = {"Retry-After": "30"} if status == 503 else None
    return JSONResponse(
        status_code=status, content=error_body(code, str(exc), fields), headers=headers
    )


async def _on_auth_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AuthError)
    status, code = AUTH_HTTP.get(type(exc), (500, "auth_error"))
    headers = None
    if status == 401:
        # RFC 9110: a 401 names the scheme the client should use. A browser opening a page
        # (a supervisor on the monitoring report) is offered Basic, so it shows its login
        # dialog: the key goes in as the password, and the browser sends it from then on.
        page = request.method in READ_METHODS and "text/html" in request.headers.get("accept", "")
        scheme = 'Basic realm="hotline", charset="UTF-8"' if page else 'Bearer realm="hotline"'
        headers = {"WWW-Authenticate": scheme}
    elif status == 503:
        headers = {"Retry-After": "30"}
    # The part of the request at fault: the key for 401/403, else what the admin named.
    field = _AUTH_FIELDS.get(type(exc), "header.authorization")
    fields = [{"field": field, "message": str(exc), "type": code}]
    return JSONResponse(
        status_code=status, content=error_body(code, str(exc), fields), headers=headers
    )


def error_response(
    status: int, message: str, *, field: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """Build an error response outside the app's handlers (for ASGI middleware).

    Parameters
    ----------
    status : int
        413 or 415 (the code comes from the same table the app's handlers use).
    message : str
    field : str
        The part of the request at fault, e.g. ``header.content-type`` or ``body``.
    headers : dict, optional

    Returns
    -------
    starlette.responses.JSONResponse
    """
    code = _HTTP_CODES.get(status, "http_error")
    fields = [{"field": field, "message": message, "type": code}]
    return JSONResponse(
        status_code=status, content=error_body(code, message, fields), headers=headers
    )


INTERNAL_ERROR: Final = (
    "The service failed while answering this request. Quote the request id to the "
    "service's operators: it names the logged error."
)


def internal_error_response() -> JSONResponse:
    """Build the answer to an exception no handler took: a 500 in the usual error shape.

    Nothing of the exception goes to the client (its message may hold what the request
    carried); the request id lets an operator find the logged error.

    Returns
    -------
    starlette.responses.JSONResponse
    """
    return JSONResponse(status_code=500, content=error_body("internal_error", INTERNAL_ERROR))


def service_error_response(exc: ServiceError, *, retry_after: int) -> JSONResponse:
    """Build the response to a service error outside the app's handlers (for ASGI middleware).

    Parameters
    ----------
    exc : ServiceError
    retry_after : int
        Seconds, sent as ``Retry-After``.

    Returns
    -------
    starlette.responses.JSONResponse
    """
    return JSONResponse(
        status_code=exc.status_code,
        content=error_body(exc.code, str(exc)),
        headers={"Retry-After": str(retry_after)},
    )


class RequestRefused(StarletteHTTPException):
    """Raised by ASGI middleware inside the app (e.g. a body that grows past the limit).

    An HTTPException, so FastAPI's body reader lets it through to :func:`_on_http_error`
    instead of turning it into a 400; ``field`` names the part of the request at fault, if
    one is (an overloaded worker faults none), and ``code`` overrides the status's own code.
    """

    def __init__(
        self,
        status_code: int,
        message: str,
        *,
        field: str | None,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(status_code=status_code, detail=message, headers=headers)
        self.field = field
        self.code = code


async def _on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    cause = exc.__cause__
    if exc.status_code == 400 and isinstance(cause, ValueError | RecursionError):
        # FastAPI reads a route's JSON body with json.loads and answers what that raises
        # (other than malformed JSON) with a 400 of its own, with no field: a body not in
        # UTF-8/16/32, nested past Python's recursion limit, or with a 5,000-digit integer.
        # POST /v1/score reads its body itself; every route answers such a body alike.
        return await _on_validation(request, unreadable_body(cause, None))
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    fields = []
    if isinstance(exc, RequestRefused):
        code = exc.code or code
        if exc.field is not None:
            fields = [{"field": exc.field, "message": str(exc.detail), "type": code}]
    return JSONResponse(
        status_code=exc.status_code,
        content=error_body(code, str(exc.detail), fields),
        headers=getattr(exc, "headers", None),
    )


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that give every error the same JSON shape.

    Parameters
    ----------
    app : fastapi.FastAPI
    """
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(ServiceError, _on_service_error)
    app.add_exception_handler(RulesBlocked, _on_rules_blocked)
    app.add_exception_handler(DecisionLogError, _on_decision_log_error)
    app.add_exception_handler(AuthError, _on_auth_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)

"""Check at startup that every route is either public or names a permission, checked early.

A route added without ``require(...)`` would otherwise be open to anyone; failing closed at
app build time makes the omission impossible to ship. A protected route must also be a
:class:`~service.auth.route.GuardedRoute` naming the permission on itself or its router, so
its key and role are checked before its body is read (401/403 before 422).
"""

from __future__ import annotations

from typing import Any, Final

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts

from service.auth.deps import permission_of, permissions_of
from service.auth.permissions import PUBLIC_PATHS, Permission
from service.auth.route import GuardedRoute

RETRY_AFTER: Final[dict[str, Any]] = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer", "minimum": 0},
    }
}
"""The ``Retry-After`` header of a 503, as an OpenAPI response documents it."""
AUTH_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    401: {"description": "No API key, or an unknown or revoked one (code unauthenticated)."},
    403: {"description": "The key's role lacks the permission (code forbidden)."},
    503: {
        "description": "The key store (the decision-log database) cannot be read or written "
        "(code auth_unavailable).",
        "headers": RETRY_AFTER,
    },
}
"""OpenAPI responses of every protected route (``include_router(..., responses=...)``).

A route that documents a status of its own keeps its description there;
:func:`service.api.error_docs.document_error_bodies` adds these sentences to it."""
_UNPROTECTED = (
    "route {methods} {path} names no permission; add "
    "dependencies=[Depends(require(Permission.X))] or list it in PUBLIC_PATHS"
)
_UNGUARDED = (
    "route {methods} {path} would read its body before checking the key: make its router "
    "with APIRouter(route_class=GuardedRoute) and name {permission} on the route or that "
    "router (not in include_router)"
)


def route_permissions(app: FastAPI) -> dict[tuple[str, str], Permission | None]:
    """Map each (method, path) of the app to its permission (None for public paths).

    Parameters
    ----------
    app : fastapi.FastAPI

    Returns
    -------
    dict

    Raises
    ------
    RuntimeError
        A route is neither public nor protected, or is protected but not guarded (a
        :class:`~service.auth.route.GuardedRoute` naming its permission itself).
    """
    out: dict[tuple[str, str], Permission | None] = {}
    # iter_route_contexts sees through included routers, with their router-level dependencies.
    for context in iter_route_contexts(app.routes):
        path = context.path or ""
        methods = sorted(context.methods or {"*"})
        dependant = getattr(context, "dependant", None)
        permission = permission_of(dependant) if isinstance(dependant, Dependant) else None
        if permission is None and path not in PUBLIC_PATHS:
            raise RuntimeError(_UNPROTECTED.format(methods="/".join(methods), path=path))
        if permission is not None and not _guarded(context.original_route, dependant):
            message = _UNGUARDED.format(
                methods="/".join(methods), path=path, permission=permission.value
            )
            raise RuntimeError(message)
        for method in methods:
            out[(method, path)] = permission
    return out


def _guarded(route: object, dependant: object) -> bool:
    # The guard checks the permissions of the route as declared (every one of them): one
    # added by include_router(dependencies=...) would be checked only after the body is read.
    if not isinstance(route, GuardedRoute) or not isinstance(dependant, Dependant):
        return False
    return set(permissions_of(dependant)) <= set(permissions_of(route.dependant))


def check_routes(app: FastAPI) -> None:
    """Refuse to go on if a route is neither public nor protected, or would read its body first.

    Call after every router is included.

    Parameters
    ----------
    app : fastapi.FastAPI

    Raises
    ------
    RuntimeError
        A route is neither public nor protected, or protected but not guarded.
    """
    route_permissions(app)

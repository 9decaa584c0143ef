"""Check at startup that every route is either public or names a permission.

A route added without ``require(...)`` would otherwise be open to anyone; failing closed at
app build time makes the omission impossible to ship.
"""

from __future__ import annotations

from typing import Any, Final

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts

from service.auth.permissions import PUBLIC_PATHS, Permission

AUTH_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    401: {"description": "No API key, or an unknown or revoked one (code unauthenticated)."},
    403: {"description": "The key's role lacks the permission (code forbidden)."},
}
"""OpenAPI responses of every protected route (``include_router(..., responses=...)``)."""
_UNPROTECTED = (
    "route {methods} {path} names no permission; add "
    "dependencies=[Depends(require(Permission.X))] or list it in PUBLIC_PATHS"
)


def permission_of(dependant: Dependant) -> Permission | None:
    """Find the permission a route's dependency tree requires.

    Parameters
    ----------
    dependant : fastapi.dependencies.models.Dependant

    Returns
    -------
    Permission or None
    """
    for sub in dependant.dependencies:
        found = getattr(sub.call, "__permission__", None)
        if isinstance(found, Permission):
            return found
        nested = permission_of(sub)
        if nested is not None:
            return nested
    return None


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
        A route is neither public nor protected.
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
        for method in methods:
            out[(method, path)] = permission
    return out


def check_routes(app: FastAPI) -> None:
    """Refuse to go on if a route is neither public nor protected.

    Call after every router is included.

    Parameters
    ----------
    app : fastapi.FastAPI

    Raises
    ------
    RuntimeError
        A route is neither public nor protected.
    """
    route_permissions(app)

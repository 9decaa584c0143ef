"""FastAPI dependencies: who is calling (:func:`authenticate`) and may they (:func:`require`).

Use ``dependencies=[Depends(require(Permission.X))]`` on a route, or
``principal: Annotated[Principal, Depends(require(Permission.X))]`` when the route needs to
know the role, on a router made with ``route_class=GuardedRoute``
(:mod:`service.auth.route`), which runs the same checks before FastAPI reads the body.
:func:`service.auth.enforce.check_routes` refuses to build an app with a route that names no
permission and is not public, or that names one on a router without that class.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from functools import cache
from typing import Annotated, Final

from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant
from starlette.concurrency import run_in_threadpool

from service.auth.errors import Forbidden, Unauthenticated
from service.auth.keys import MAX_KEY_CHARS, key_id_of
from service.auth.permissions import Permission, allows, roles_with
from service.auth.verifier import UNKNOWN_KEY, KeyVerifier, Principal

READ_METHODS: Final = frozenset({"GET", "HEAD"})
"""The methods Basic credentials are taken on, and a browser's page request is offered them."""
NO_KEY: Final = "No API key was sent; send 'Authorization: Bearer <key>' (or 'X-API-Key: <key>')"
_NOT_ALLOWED = "This needs the {permission} permission (roles: {roles}); this key's role is {role}"


def presented_key(request: Request) -> str | None:
    """Return the key a request carries: ``Authorization: Bearer``, ``X-API-Key`` or Basic.

    Parameters
    ----------
    request : fastapi.Request

    Returns
    -------
    str or None
        With ``Authorization: Basic`` on a GET or HEAD, the password (the user name is not
        read): what a browser sends once a supervisor types the key into its login dialog,
        so the HTML reports can be read and their links followed without a header-setting
        tool. A Basic value that does not decode is returned as it is, to be refused as an
        unknown key; Basic on any other method is not a key.
    """
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
        # Reads only: a browser sends cached Basic credentials with any request, a forged
        # cross-site form's included, so Basic must never authorize a change.
        if scheme.lower() == "basic" and value.strip() and request.method in READ_METHODS:
            return _basic_password(value.strip())
    api_key = request.headers.get("x-api-key")
    return api_key.strip() if api_key and api_key.strip() else None


def _basic_password(value: str) -> str:
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return value
    _, colon, password = decoded.partition(":")
    return password.strip() if colon and password.strip() else value


async def authenticate(request: Request) -> Principal:
    """Return the caller of a request, or refuse it (401): the dependency.

    Parameters
    ----------
    request : fastapi.Request

    Returns
    -------
    Principal

    Raises
    ------
    Unauthenticated
        No key, or an unknown or revoked one.
    AuthUnavailable
        The key store cannot be read.

    Notes
    -----
    A request is authenticated once: a :class:`~service.auth.route.GuardedRoute` calls
    :func:`identify` before FastAPI reads the body, and this dependency, solved afterwards
    for ``require(...)``, returns the principal that call left on ``request.state``.
    """
    known: Principal | None = getattr(request.state, "principal", None)
    if known is not None:
        return known
    return await identify(request)


async def identify(request: Request) -> Principal:
    """Check the key a request carries and return its principal, or refuse it (401).

    The principal is also left on ``request.state.principal``.

    Parameters
    ----------
    request : fastapi.Request

    Returns
    -------
    Principal

    Raises
    ------
    Unauthenticated
        No key, or an unknown or revoked one.
    AuthUnavailable
        The key store cannot be read.
    """
    token = presented_key(request)
    if token is None:
        raise Unauthenticated(NO_KEY)
    if len(token) > MAX_KEY_CHARS:
        # Not worth hashing; no key we make is anywhere near this long. A key *was* sent, so
        # the answer is the unknown-key one (it said "No API key was sent").
        raise Unauthenticated(UNKNOWN_KEY)
    verifier: KeyVerifier = request.app.state.keys
    hit, record = verifier.cached(key_id_of(token))
    if not hit:
        # A store read is blocking I/O: off the event loop, once per key per TTL.
        record = await run_in_threadpool(verifier.lookup, key_id_of(token))
    principal = verifier.check(token, record)
    request.state.principal = principal
    return principal


PrincipalDep = Annotated[Principal, Depends(authenticate)]


@cache
def require(permission: Permission) -> Callable[[Principal], Awaitable[Principal]]:
    """Make the dependency that admits only roles holding ``permission`` (403 otherwise).

    Parameters
    ----------
    permission : Permission

    Returns
    -------
    callable
        An async dependency returning the :class:`Principal`; the same object for the same
        permission, and marked with ``__permission__`` so routes can be checked.
    """

    async def dependency(principal: PrincipalDep) -> Principal:
        authorize(principal, permission)
        return principal

    dependency.__permission__ = permission  # type: ignore[attr-defined]
    dependency.__name__ = f"require_{permission.name}"
    return dependency


def authorize(principal: Principal, permission: Permission) -> None:
    """Refuse (403) a caller whose role lacks ``permission``.

    Parameters
    ----------
    principal : Principal
    permission : Permission

    Raises
    ------
    Forbidden
        Naming the permission, the roles that hold it and the caller's role.
    """
    if not allows(principal.role, permission):
        roles = ", ".join(role.value for role in roles_with(permission))
        raise Forbidden(
            _NOT_ALLOWED.format(permission=permission.value, roles=roles, role=principal.role)
        )


def permission_of(dependant: Dependant) -> Permission | None:
    """Find the permission a route's dependency tree requires (the mark :func:`require` sets).

    Parameters
    ----------
    dependant : fastapi.dependencies.models.Dependant

    Returns
    -------
    Permission or None
        The first one :func:`permissions_of` finds.
    """
    found = permissions_of(dependant)
    return found[0] if found else None


def permissions_of(dependant: Dependant) -> tuple[Permission, ...]:
    """Find every permission a route's dependency tree requires, in the order FastAPI checks.

    A route may name one on its router and another on itself; the caller needs both, so the
    guard checks both before the body is read.

    Parameters
    ----------
    dependant : fastapi.dependencies.models.Dependant

    Returns
    -------
    tuple of Permission
        Each once, router's before route's; empty for a public route.
    """
    found: dict[Permission, None] = {}
    for sub in dependant.dependencies:
        mark = getattr(sub.call, "__permission__", None)
        if isinstance(mark, Permission):
            found[mark] = None
        found.update(dict.fromkeys(permissions_of(sub)))
    return tuple(found)

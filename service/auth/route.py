"""Routes that check the caller's key and role before FastAPI reads the request body.

FastAPI reads and parses a JSON body before it solves a route's dependencies, so with the key
checked only by ``require(...)``, a caller with no key who sent malformed JSON got a 422 that
described the body, instead of 401: the answer depended on the body, and told a stranger
what the route expects. A :class:`GuardedRoute` runs the checks of the permission its route
declares first, so 401 and 403 come before any byte of the body is read; the declaration
stays where it was, on the route (``require`` marks it), and
:func:`service.auth.enforce.check_routes` refuses a protected route without this class.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from service.auth.deps import authenticate, authorize, identify, permissions_of


class GuardedRoute(APIRoute):
    """An ``APIRoute`` that authenticates and authorizes before the body is read.

    Use it for a router's routes: ``APIRouter(..., route_class=GuardedRoute)``. A route that
    names no permission runs as a plain one (``check_routes`` allows that on public paths only).

    The caller's principal is left on ``request.state`` for the route's own ``require``
    dependency, which returns it without checking the key again: a request is authenticated
    once.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Wrap FastAPI's handler (which reads the body first) in the key and role checks.

        Returns
        -------
        callable
            ``handler(request) -> Response``.
        """
        handler = super().get_route_handler()
        # The route's own dependencies and its router's: where check_routes requires the
        # permissions to be named. All of them: with one on the router and another on the
        # route, checking only the first let a caller holding it but not the other see the
        # body's 422 before the 403.
        permissions = permissions_of(self.dependant)
        if not permissions:
            return handler

        async def guarded(request: Request) -> Response:
            # A test that replaces authenticate (app.dependency_overrides) gets its principal
            # from FastAPI's dependency solving, where require still checks the role.
            if authenticate not in request.app.dependency_overrides:
                principal = await identify(request)
                for permission in permissions:
                    authorize(principal, permission)
            return await handler(request)

        return guarded

"""The route template a request is counted and logged under, never its raw path.

The router writes the route it matched into the ASGI scope; its path is the template
(``/v1/decisions/{decision_id}``), so ids in URLs never become labels or log fields. A request
the router never saw has none: one refused by middleware before routing (503 ``overloaded``,
413, 415), and one served by a plain Starlette route (``/openapi.json``, ``/docs``, ``/redoc``),
which does not record itself. Those were all labelled ``unmatched``, so a dashboard per route
never saw ``/v1/score`` refused for overload. :class:`RouteTemplates` finds their template
from the app's own routes; only a path no route matches stays ``unmatched``.
"""

from __future__ import annotations

import re
from typing import Final

from fastapi.routing import iter_route_contexts
from starlette.types import Scope

UNMATCHED: Final = "unmatched"
"""The label of a request whose path no route of the app matches."""


class RouteTemplates:
    """Resolve a request's route template, from the scope or else from the app's routes.

    The table of the app's routes is built at the first request that needs it (the routes are
    all included by then) and kept: paths without parameters are one dict lookup, the few
    with parameters one regular expression each. A request the router matched costs nothing
    more than reading the scope.
    """

    def __init__(self) -> None:
        self._fixed: frozenset[str] | None = None
        self._patterns: list[tuple[re.Pattern[str], str]] = []

    def __call__(self, scope: Scope) -> str:
        """Return the template of the route that serves (or would serve) the request.

        Parameters
        ----------
        scope : ASGI scope

        Returns
        -------
        str
            E.g. ``/v1/decisions/{decision_id}``, or ``unmatched``.
        """
        path = getattr(scope.get("route"), "path", None)
        if isinstance(path, str):
            return path
        app = scope.get("app")
        if app is None:
            return UNMATCHED
        if self._fixed is None:
            self._build(app)
        assert self._fixed is not None
        # The router matches the path without the prefix a proxy mounted the app under.
        asked = scope["path"]
        root = scope.get("root_path", "")
        if root and asked.startswith(root):
            asked = asked[len(root) :]
        if asked in self._fixed:
            return str(asked)
        return next((t for regex, t in self._patterns if regex.match(asked)), UNMATCHED)

    def _build(self, app: object) -> None:
        fixed: set[str] = set()
        for context in iter_route_contexts(getattr(app, "routes", [])):
            template, regex = context.path, getattr(context, "path_regex", None)
            if not isinstance(template, str) or not isinstance(regex, re.Pattern):
                continue
            if "{" in template:
                self._patterns.append((regex, template))
            else:
                fixed.add(template)
        self._fixed = frozenset(fixed)

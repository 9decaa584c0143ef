"""``GET /v1/rules``: the active rule set, its version and citations, for supervisors."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status

from service.auth import GuardedRoute, Permission, require
from service.rules import RuleSet, RuleSetView, RulesHolder

router = APIRouter(prefix="/v1", tags=["rules"], route_class=GuardedRoute)


def get_active_rules(request: Request) -> RuleSet:
    """Read the active rule set from ``app.state.rules``.

    Parameters
    ----------
    request : fastapi.Request
        The current request.

    Returns
    -------
    RuleSet
        The rule set in use. ``app.state.rules`` may hold a :class:`RuleSet` or a
        :class:`RulesHolder` (whose current set is used, so a reload shows at once).

    Raises
    ------
    fastapi.HTTPException
        503 if the app holds no rule set (the app refuses to start without one, so this means
        a wiring fault).
    """
    held = getattr(request.app.state, "rules", None)
    if isinstance(held, RulesHolder):
        return held.current
    if isinstance(held, RuleSet):
        return held
    raise HTTPException(
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE, detail="no rule set is loaded"
    )


RulesDep = Annotated[RuleSet, Depends(get_active_rules)]


@router.get(
    "/rules",
    response_model=RuleSetView,
    dependencies=[Depends(require(Permission.rules_read))],
)
async def read_rules(rules: RulesDep) -> RuleSetView:
    """Show the active rule set: version, precedence, and every rule with its citation."""
    return rules.view()

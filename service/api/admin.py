"""`POST /v1/admin/reload`: re-read the rules file and re-check the champion (data scientists)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from service.auth import GuardedRoute, Permission, require
from service.rules import RulesError

router = APIRouter(
    prefix="/v1/admin",
    tags=["admin"],
    dependencies=[Depends(require(Permission.models_reload))],
    route_class=GuardedRoute,
)


class Reloaded(BaseModel):
    """What this replica serves after a reload (other replicas reload on their own)."""

    rules_version: str
    rules_sha256: str
    rules_error: str | None = Field(
        description="Why the rules file was not loaded; the previous rules stay active."
    )
    model_version: int | None
    model_detail: str | None = Field(description="Why the champion is not served, if it is not.")


@router.post("/reload")
def reload(request: Request) -> Reloaded:
    """Reload the rules file and follow the champion alias now, on this replica."""
    rules_holder, models = request.app.state.rules, request.app.state.models
    rules_error = None
    try:
        rules_holder.reload()
    except RulesError as exc:  # a bad file keeps the last good rules serving
        rules_error = str(exc)
    models.refresh()
    ruleset = rules_holder.current
    return Reloaded(
        rules_version=ruleset.version,
        rules_sha256=ruleset.sha256,
        rules_error=rules_error,
        model_version=models.current.version if models.ready else None,
        model_detail=models.last_error,
    )

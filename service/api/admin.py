"""`POST /v1/admin/reload`: re-read the rules and the directory, re-check the champion."""

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
    """What this worker serves after a reload (the others follow the files on their own)."""

    rules_version: str
    rules_sha256: str
    rules_error: str | None = Field(
        description="Why the rules file was not loaded; the previous rules stay active."
    )
    rules_blocked: str | None = Field(
        default=None,
        description="Why this worker applies no rules at all (it started on a file refused "
        "under a version already served): scores are refused (503) until a reload succeeds. "
        "rules_version and rules_sha256 then name the refused file.",
    )
    model_version: int | None
    model_detail: str | None = Field(description="Why the champion is not served, if it is not.")
    directory_services: int = Field(
        description="Active services in the directory now matched against."
    )
    directory_error: str | None = Field(
        default=None,
        description="Why the directory was not reloaded; the previous directory stays in use.",
    )
    directory_problems: list[str] = Field(
        default=[],
        description="What was wrong with the reloaded directory's records (skipped or partly "
        "ignored), the first 20; all of them are logged, as at startup.",
    )


@router.post("/reload")
def reload(request: Request) -> Reloaded:
    """Reload the rules file and the directory and follow the champion alias now.

    This worker does it at once and says what came of it; every other worker, of this
    replica and of the others, follows the champion within HOTLINE_MODEL_POLL_SECONDS and
    the rules file and the directory within two polls (a change is applied once a second
    look finds it unchanged).
    """
    state = request.app.state
    rules_error = None
    try:
        state.rules.reload()
    except RulesError as exc:  # a bad file keeps the last good rules serving
        rules_error = str(exc)
    state.models.refresh()
    directory = state.directory.reload()
    ruleset = state.rules.loaded  # not .current: a blocked worker says so here, not by a 503
    return Reloaded(
        rules_version=ruleset.version,
        rules_sha256=ruleset.sha256,
        rules_error=rules_error,
        rules_blocked=state.rules.blocked,
        model_version=state.models.current.version if state.models.ready else None,
        model_detail=state.models.last_error,
        directory_services=state.directory.current.active_count,
        directory_error=directory.error,
        directory_problems=directory.problems[:20],
    )

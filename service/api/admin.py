"""`POST /v1/admin/reload`: re-read the rules and the directory, re-check the champion."""

from __future__ import annotations

import gc
import logging

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from service.auth import GuardedRoute, Permission, require
from service.referrals import DirectoryError, load_directory
from service.rules import RulesError

log = logging.getLogger("hotline.service")

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
    """Reload the rules file and follow the champion alias now, on this replica."""
    rules_holder, models = request.app.state.rules, request.app.state.models
    rules_error = None
    try:
        rules_holder.reload()
    except RulesError as exc:  # a bad file keeps the last good rules serving
        rules_error = str(exc)
    models.refresh()
    directory_error, problems = _reload_directory(request)
    ruleset = rules_holder.current
    return Reloaded(
        rules_version=ruleset.version,
        rules_sha256=ruleset.sha256,
        rules_error=rules_error,
        model_version=models.current.version if models.ready else None,
        model_detail=models.last_error,
        directory_services=request.app.state.directory.active_count,
        directory_error=directory_error,
        directory_problems=problems[:20],
    )


def _reload_directory(request: Request) -> tuple[str | None, list[str]]:
    # A new index is built aside and swapped in one assignment: a score in flight keeps the
    # one it read. One that cannot be read, or has no active service (a folder missing its
    # datapackage.json), keeps the last good one, as a bad rules file does.
    path = request.app.state.settings.directory_path
    try:
        loaded = load_directory(path)
    except DirectoryError as exc:
        return str(exc), []
    problems = [str(problem) for problem in loaded.problems]
    for problem in problems:
        log.warning("directory: %s", problem)
    if not loaded.directory.active_count:
        first = f": {loaded.problems[0].message}" if loaded.problems else ""
        return f"{path} holds no active service{first}", problems
    request.app.state.directory = loaded.directory
    # As at startup: what lives as long as the process is kept out of the collector's full
    # passes (a 10,000-service directory made each one take ~70 ms instead of 0.1).
    gc.collect()
    gc.freeze()
    return None, problems

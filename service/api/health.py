"""Liveness and readiness."""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from service.auth.enforce import RETRY_AFTER
from service.decision_log.startup import start_log
from service.errors import NO_MODEL_PUBLIC, RULES_BLOCKED, in_production
from service.schemas import Health, Readiness

router = APIRouter(tags=["health"])

_PUBLIC_DETAIL = {
    False: NO_MODEL_PUBLIC,
    True: "the model in service is not the one the alias names; the service's log and "
    "GET /v1/models say why",
}
LOG_DOWN: Final = (
    "the decision log, which also holds the API keys, cannot be opened or brought up to date "
    "(HOTLINE_DATABASE_URL): every key is refused and nothing can be recorded; the service's "
    "log says why"
)
"""/ready's detail when the decision log is down (no URL or path: /ready answers anyone)."""


@router.get("/health", response_model=Health)
async def health() -> Health:
    """Say the process is alive."""
    return Health(status="ok")


@router.get(
    "/ready",
    response_model=Readiness,
    responses={
        503: {
            "model": Readiness,
            "description": "Not ready: no model is loaded, the decision log cannot be "
            "opened, or the rules file is refused; detail says which.",
            "headers": RETRY_AFTER,
        }
    },
)
async def ready(request: Request) -> Readiness | JSONResponse:
    """Say whether scoring can be served: a model loaded, the log open, rules in use."""
    holder = request.app.state.models
    rules = request.app.state.rules
    rules_version = rules.loaded.version
    detail = holder.last_error
    if detail is not None and in_production(request):
        # /ready answers anyone (load balancers): in production it does not say where the
        # registry lives or what is wrong with an artifact. Keys that may see that do:
        # GET /v1/models (data scientists) and the service's log.
        detail = _PUBLIC_DETAIL[holder.ready]
    log_open = await _log_open(request)
    blocked = None if rules.blocked is None else RULES_BLOCKED
    if not holder.ready or not log_open or blocked:
        # Each part that is down, in one sentence each.
        down = (detail, None if log_open else LOG_DOWN, blocked)
        reasons = [reason for reason in down if reason]
        body = Readiness(
            status="not_ready",
            model_version=holder.current.version if holder.ready else None,
            rules_version=rules_version,
            detail="; ".join(reasons) or None,
        )
        return JSONResponse(
            status_code=503, content=body.model_dump(), headers={"Retry-After": "5"}
        )
    # detail: e.g. a newer champion that was refused while this version keeps serving.
    return Readiness(
        status="ready",
        model_version=holder.current.version,
        rules_version=rules_version,
        detail=detail,
    )


async def _log_open(request: Request) -> bool:
    # Whether the decision log was brought up to date (at startup, or by a later probe). While
    # it is not, every protected route answers 503 auth_unavailable; each probe tries again
    # (in the threadpool, one at a time), so a database that comes up after the service
    # (PostgreSQL restarting) makes it ready without a restart. Once open, probes cost nothing.
    state = request.app.state
    if getattr(state, "log_open", True):
        return True
    if not getattr(state, "log_retrying", False):
        state.log_retrying = True
        try:
            state.log_open = await run_in_threadpool(start_log, state.decision_log)
        finally:
            state.log_retrying = False
    return bool(state.log_open)

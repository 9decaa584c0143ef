"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from service.errors import NO_MODEL_PUBLIC, in_production
from service.schemas import Health, Readiness

router = APIRouter(tags=["health"])

_PUBLIC_DETAIL = {
    False: NO_MODEL_PUBLIC,
    True: "the model in service is not the one the alias names; the service's log and "
    "GET /v1/models say why",
}


@router.get("/health", response_model=Health)
async def health() -> Health:
    """Say the process is alive."""
    return Health(status="ok")


@router.get("/ready", response_model=Readiness, responses={503: {"model": Readiness}})
async def ready(request: Request) -> Readiness | JSONResponse:
    """Say whether a model is loaded and scoring can be served."""
    holder = request.app.state.models
    rules_version = request.app.state.rules.current.version
    detail = holder.last_error
    if detail is not None and in_production(request):
        # /ready answers anyone (load balancers): in production it does not say where the
        # registry lives or what is wrong with an artifact. Keys that may see that do:
        # GET /v1/models (data scientists) and the service's log.
        detail = _PUBLIC_DETAIL[holder.ready]
    if not holder.ready:
        body = Readiness(
            status="not_ready",
            model_version=None,
            rules_version=rules_version,
            detail=detail,
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

"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from service.schemas import Health, Readiness

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
async def health() -> Health:
    """Say the process is alive."""
    return Health(status="ok")


@router.get("/ready", response_model=Readiness, responses={503: {"model": Readiness}})
async def ready(request: Request) -> Readiness | JSONResponse:
    """Say whether a model is loaded and scoring can be served."""
    holder = request.app.state.models
    rules_version = request.app.state.rules.current.version
    if not holder.ready:
        body = Readiness(
            status="not_ready",
            model_version=None,
            rules_version=rules_version,
            detail=holder.last_error,
        )
        return JSONResponse(
            status_code=503, content=body.model_dump(), headers={"Retry-After": "5"}
        )
    # detail: e.g. a newer champion that was refused while this version keeps serving.
    return Readiness(
        status="ready",
        model_version=holder.current.version,
        rules_version=rules_version,
        detail=holder.last_error,
    )

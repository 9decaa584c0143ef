"""`GET /v1/models`: the registry's versions and which is champion (data scientists)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from models import ModelError
from service.auth import GuardedRoute, Permission, require

router = APIRouter(
    prefix="/v1",
    tags=["models"],
    dependencies=[Depends(require(Permission.models_read))],
    route_class=GuardedRoute,
)
_SHOWN = ("kind", "label", "registered_at", "n_rows", "sha256", "feature_spec_hash")


class ModelVersion(BaseModel):
    """One registered version: what it is and how it scored when trained."""

    version: int
    kind: str | None = None
    label: str | None = None
    registered_at: str | None = None
    n_rows: int | None = None
    sha256: str | None = None
    feature_spec_hash: str | None = None
    metrics: dict[str, Any] = Field(default_factory=dict)


class ModelList(BaseModel):
    """The registry as the service sees it."""

    alias: str
    champion: int | None = Field(description="The version the alias points at.")
    serving: int | None = Field(description="The version this replica is scoring with.")
    detail: str | None = Field(description="Why serving differs from champion, if it does.")
    versions: list[ModelVersion]


@router.get("/models")
def read_models(request: Request) -> ModelList:
    """List registered model versions, the champion and the version in use."""
    holder = request.app.state.models
    registry = holder.registry
    versions = []
    for version in registry.versions():
        try:
            meta = registry.metadata(version)
        except ModelError:
            meta = {}
        shown = {k: meta.get(k) for k in _SHOWN}
        metrics = meta.get("metrics") if isinstance(meta.get("metrics"), dict) else {}
        versions.append(ModelVersion(version=version, metrics=metrics, **shown))
    return ModelList(
        alias=holder.alias,
        champion=registry.alias(holder.alias),
        serving=holder.current.version if holder.ready else None,
        detail=holder.last_error,
        versions=versions,
    )

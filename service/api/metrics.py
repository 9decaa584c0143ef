"""`GET /metrics`: Prometheus metrics of every worker (needs the ``metrics:read`` permission)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from service.auth import GuardedRoute, Permission, require
from service.observability import metrics_payload

router = APIRouter(tags=["operations"], route_class=GuardedRoute)


@router.get(
    "/metrics",
    response_class=Response,
    dependencies=[Depends(require(Permission.metrics_read))],
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format."}},
)
async def metrics(request: Request) -> Response:
    """Serve the Prometheus metrics (request latency, scores, rule hits, decision log)."""
    body, content_type = metrics_payload(request.app.state.metrics)
    return Response(content=body, media_type=content_type)

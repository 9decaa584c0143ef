"""`GET /v1/reports/monitoring`: screen-in rates, overrides, drift, threshold-near."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from service.api.log_deps import DecisionLogDep
from service.api.query import refuse_query
from service.auth import GuardedRoute, Permission, require
from service.days import Day
from service.decision_log.monitoring import (
    PeriodError,
    check_period,
    decision_frame,
    monitoring_report,
)
from service.decision_log.reference import reference_for
from service.decision_log.render import render_monitoring, report_json

router = APIRouter(tags=["reports"], route_class=GuardedRoute)


@router.get(
    "/v1/reports/monitoring",
    response_model=None,
    responses={
        200: {
            "description": "The report: HTML by default, JSON with ?format=json.",
            "content": {"text/html": {"schema": {"type": "string"}}, "application/json": {}},
        }
    },
    dependencies=[Depends(require(Permission.reports_read))],
)
def monitoring(
    request: Request,
    log: DecisionLogDep,
    format: Literal["html", "json"] = "html",
    since: Annotated[
        Day | None, Query(description="First received day of the period (YYYY-MM-DD), included.")
    ] = None,
    until: Annotated[
        Day | None, Query(description="Last received day of the period (YYYY-MM-DD), included.")
    ] = None,
) -> HTMLResponse | JSONResponse:
    """Report for supervisors (HTML, or JSON with ?format=json), over a period if given."""
    try:
        # Before the log is read: a period that holds no day is refused at once.
        check_period(since=since, until=until)
    except PeriodError as exc:
        refuse_query("since", str(exc), str(since))
    holder, settings = request.app.state.models, request.app.state.settings
    loaded = holder.current if holder.ready else None
    reference = reference_for(holder.registry, loaded.version, loaded.model) if loaded else None
    report: dict[str, Any] = monitoring_report(
        decision_frame(log),
        reference,
        threshold=settings.monitor_threshold,
        min_cell=settings.report_min_cell,
        since=since,
        until=until,
    )
    if format == "json":
        return JSONResponse(report_json(report))
    # The page links /v1/reports/models/N, the audit bundle of the version that scored.
    version = loaded.version if loaded is not None else None
    return HTMLResponse(render_monitoring(report, model_version=version))

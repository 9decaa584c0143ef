"""Supervisors' reports: the monitoring report and the overrides behind its counts.

`GET /v1/reports/monitoring` (screen-in rates, overrides, drift, threshold-near) and
`GET /v1/reports/overrides` (which decisions the override counts are).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Final, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from models.referral import Identifier
from service.api.log_deps import DecisionLogDep
from service.api.query import refuse_query
from service.auth import GuardedRoute, Permission, Principal, allows, require
from service.days import Day
from service.decision_log.monitoring import (
    PeriodError,
    check_period,
    decision_frame,
    monitoring_report,
)
from service.decision_log.overrides import list_overrides
from service.decision_log.reference import reference_for
from service.decision_log.render import render_monitoring, report_json
from service.decision_log.schemas import OverrideList

router = APIRouter(tags=["reports"], route_class=GuardedRoute)
Since = Annotated[
    Day | None, Query(description="First received day of the period (YYYY-MM-DD), included.")
]
Until = Annotated[
    Day | None, Query(description="Last received day of the period (YYYY-MM-DD), included.")
]
_UNREAD: Final = {"description": "The decision log cannot be read (code decision_log_unavailable)."}
_OVERRIDES_ERRORS: Final[dict[int | str, dict[str, Any]]] = {
    422: {
        "description": "A day not written as YYYY-MM-DD (field query.since or query.until), "
        "since after until (field query.since), or a unit that is not an agency identifier "
        "(field query.unit)."
    },
    503: _UNREAD,
}
ReportReader = Annotated[Principal, Depends(require(Permission.reports_read))]


@router.get(
    "/v1/reports/monitoring",
    response_model=None,
    responses={
        200: {
            "description": "The report: HTML by default, JSON with ?format=json.",
            "content": {"text/html": {"schema": {"type": "string"}}, "application/json": {}},
        },
        503: _UNREAD,
    },
)
def monitoring(
    request: Request,
    log: DecisionLogDep,
    reader: ReportReader,
    format: Literal["html", "json"] = "html",
    since: Since = None,
    until: Until = None,
) -> HTMLResponse | JSONResponse:
    """Report for supervisors (HTML, or JSON with ?format=json), over a period if given."""
    _check_period(since=since, until=until)
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
    # Relative too (/v1/reports/overrides), over the same period; only for a role that may
    # open it (a data scientist reads the aggregates, not the list: a link to a 403).
    period = {k: v.isoformat() for k, v in (("since", since), ("until", until)) if v is not None}
    overrides_url = (
        "overrides" + (f"?{urlencode(period)}" if period else "")
        if allows(reader.role, Permission.decisions_read_full)
        else None
    )
    return HTMLResponse(
        render_monitoring(report, model_version=version, overrides_url=overrides_url)
    )


@router.get(
    "/v1/reports/overrides",
    responses=_OVERRIDES_ERRORS,
    # Decision by decision, past the report's small-cell pooling: for those who may read a
    # whole decision record (supervisors, admins), not every reader of the aggregates.
    dependencies=[Depends(require(Permission.decisions_read_full))],
)
def overrides(
    request: Request,
    log: DecisionLogDep,
    since: Since = None,
    until: Until = None,
    unit: Annotated[
        Identifier | None, Query(description="Only this unit's decisions (as screenings name it).")
    ] = None,
) -> OverrideList:
    """List the screened decisions that went against the tool alone, newest first, to review.

    The cases the monitoring report's override counts are made of, over the same period and
    with the same definition (the rules' screen-in, or a score at or above
    HOTLINE_MONITOR_THRESHOLD). Decision ids only, no family's id: each one opens with
    GET /v1/decisions/{decision_id}.
    """
    _check_period(since=since, until=until)
    threshold = request.app.state.settings.monitor_threshold
    return list_overrides(log, threshold=threshold, since=since, until=until, unit=unit)


def _check_period(*, since: dt.date | None, until: dt.date | None) -> None:
    try:
        # Before the log is read: a period that holds no day is refused at once.
        check_period(since=since, until=until)
    except PeriodError as exc:
        refuse_query("since", str(exc), str(since))

"""`POST /v1/outcomes`: later events (re-referral, substantiation, removal, injury)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends

from service.api.log_deps import DecisionLogDep
from service.auth import GuardedRoute, Permission, Principal, require
from service.decision_log import record_outcomes

router = APIRouter(tags=["outcomes"], route_class=GuardedRoute)


@router.post(
    "/v1/outcomes",
    responses={503: {"description": "The log cannot be written."}},
)
def post_outcomes(
    rows: Annotated[
        list[dict[str, Any]],
        Body(
            max_length=10_000,
            description="Rows of referral_id and/or household_id, event, event_date.",
        ),
    ],
    log: DecisionLogDep,
    writer: Annotated[Principal, Depends(require(Permission.outcomes_write))],
) -> dict[str, Any]:
    """Record outcome events; bad rows are reported one by one, good ones kept."""
    # Rows are checked one by one (not by pydantic on the whole list) so one bad row does
    # not refuse the others; the row number in each problem is the list index.
    return record_outcomes(log, rows, first_row=0, recorded_by=writer.recorded_as()).to_dict()

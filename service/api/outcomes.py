"""`POST /v1/outcomes`: later events (re-referral, substantiation, removal, injury)."""

from __future__ import annotations

from typing import Annotated, Any, Final

from fastapi import APIRouter, Body, Depends
from pydantic import BaseModel, ConfigDict, StrictStr

from service.api.log_deps import DecisionLogDep
from service.auth import GuardedRoute, Permission, Principal, require
from service.decision_log import record_outcomes

router = APIRouter(tags=["outcomes"], route_class=GuardedRoute)

MAX_ROWS: Final = 10_000


class OutcomeRow(BaseModel):
    """One later event of a referral's or a household's family.

    Only the JSON types and columns are checked here: a row whose identifier, event or date
    is not accepted (a day before 1900 or after tomorrow included) is reported in
    ``rejected`` with the row's index, and the other rows are kept.
    """

    # Strict text: pydantic would store referral_id 123 or true as "123" or "True", an id
    # that matches nothing. An unknown column is refused, not silently dropped.
    model_config = ConfigDict(extra="forbid", frozen=True)

    referral_id: StrictStr | None = None
    household_id: StrictStr | None = None
    event: StrictStr
    event_date: StrictStr


@router.post(
    "/v1/outcomes",
    responses={
        422: {
            "description": "The body is not a list of outcome rows (a value of the wrong JSON "
            "type, an unknown column, an event_date out of range): nothing is written."
        },
        503: {"description": "The log cannot be written."},
    },
)
def post_outcomes(
    rows: Annotated[
        list[OutcomeRow],
        Body(
            max_length=MAX_ROWS,
            description="Rows of referral_id and/or household_id, event, event_date.",
        ),
    ],
    log: DecisionLogDep,
    writer: Annotated[Principal, Depends(require(Permission.outcomes_write))],
) -> dict[str, Any]:
    """Record outcome events; bad rows are reported one by one, good ones kept."""
    # The values are checked row by row (not by pydantic on the whole list) so one bad row
    # does not refuse the others; the row number in each problem is the list index.
    checked = [row.model_dump(exclude_none=True) for row in rows]
    return record_outcomes(log, checked, first_row=0, recorded_by=writer.recorded_as()).to_dict()

"""`POST /v1/outcomes`: later events (re-referral, substantiation, removal, injury)."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Body, Depends
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from service.api.log_deps import DecisionLogDep
from service.auth import GuardedRoute, Permission, Principal, require
from service.decision_log import record_outcomes
from service.decision_log.outcomes import ROWS_LISTED

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


class RejectedRow(BaseModel):
    """One thing wrong with one row; the row is not written."""

    row: int = Field(description="The row's index in the list, from 0.")
    column: str
    message: str = Field(description="What was found and what is accepted.")


_ROWS: Final = f"Indexes (from 0) of the first {ROWS_LISTED} such rows; the count is complete."


class OutcomesRecorded(BaseModel):
    """What was written, skipped and refused, and which new rows match no scored decision.

    A row that matches none is recorded all the same: an outcome may arrive before the score
    it follows is logged (and counts once it is); but a mistyped id never matches, so check
    the rows listed. Rows are named by index, never by id.
    """

    accepted: int = Field(description="New rows written.")
    duplicates: int = Field(description="Rows already on record, skipped.")
    rejected: list[RejectedRow]
    matched: int = Field(
        description="Accepted rows that match a scored decision: by the referral when the "
        "row names one, else by the household."
    )
    unmatched: int = Field(description="Accepted rows that match no scored decision (yet).")
    unmatched_rows: list[int] = Field(max_length=ROWS_LISTED, description=_ROWS)
    before_received: int = Field(
        description="Matched rows dated before their referral was received: recorded, but "
        "they will never count as its outcome (monitoring counts a referral's events from the "
        "day of the call on)."
    )
    before_received_rows: list[int] = Field(max_length=ROWS_LISTED, description=_ROWS)


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
) -> OutcomesRecorded:
    """Record outcome events; bad rows are reported one by one, good ones kept.

    The answer also lists the new rows that match no scored decision and those dated before
    their referral was received, by index: never the ids (nor their hashes).
    """
    # The values are checked row by row (not by pydantic on the whole list) so one bad row
    # does not refuse the others; the row number in each problem is the list index.
    checked = [row.model_dump(exclude_none=True) for row in rows]
    result = record_outcomes(log, checked, first_row=0, recorded_by=writer.recorded_as())
    return OutcomesRecorded.model_validate(result.to_dict())

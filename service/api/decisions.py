"""`/v1/decisions`: a referral's decisions; each one's screening, statuses and whole record."""

from __future__ import annotations

from collections.abc import Container
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import ValidationError, ValidatorFunctionWrapHandler, WrapValidator
from pydantic_core import PydanticCustomError

from models.referral import IDENTIFIER_ACCEPTED, Identifier
from service.api.log_deps import DecisionLogDep
from service.auth import GuardedRoute, Permission, Principal, allows, require
from service.decision_log import (
    find_decisions,
    get_decision,
    record_referral_statuses,
    record_screening,
)
from service.decision_log.redact import screener_view
from service.decision_log.schemas import (
    Appended,
    DecisionRecord,
    ReferralDecisions,
    ReferralStatusBatch,
    ScreeningRequest,
)

router = APIRouter(prefix="/v1/decisions", tags=["decisions"], route_class=GuardedRoute)
WriterDep = Annotated[Principal, Depends(require(Permission.decisions_write))]
ReaderDep = Annotated[Principal, Depends(require(Permission.decisions_read))]
_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No score was recorded under this decision id."},
    422: {"description": "Invalid: the body names each field at fault (path.decision_id too)."},
    503: {"description": "The decision log cannot be written or read."},
}
# Bounded, so no error echoes an unbounded id (a 5,000-character id came back whole). Any
# id within the bound that the service never issued is simply not found (404).
DecisionId = Annotated[
    str,
    Path(
        max_length=64,
        description="The decision_id a POST /v1/score returned (32 lowercase hex digits).",
    ),
]


def _agency_identifier(value: Any, handler: ValidatorFunctionWrapHandler) -> str:
    # Stripped as a scored referral's id is (the model strips its strings), so the id a client
    # sent to /v1/score finds its decisions whatever spaces came with it. Any refusal is one
    # sentence with the accepted form, never the value (up to any length) sent back.
    try:
        checked: str = handler(value.strip() if isinstance(value, str) else value)
    except ValidationError:
        raise PydanticCustomError(
            "value_error",
            "not an identifier; accepted: {expected}",
            {"expected": IDENTIFIER_ACCEPTED},
        ) from None
    return checked


# The scored referral's own type: an id /v1/score would refuse was never scored.
ReferralId = Annotated[
    Identifier,
    WrapValidator(_agency_identifier),
    Query(description="The referral_id sent to POST /v1/score (an agency identifier)."),
]
_LOOKUP_ERRORS: dict[int | str, dict[str, Any]] = {
    422: {
        "description": "referral_id is missing or not an agency identifier (field "
        "query.referral_id, with the accepted form)."
    },
    503: {"description": "The decision log cannot be read (code decision_log_unavailable)."},
}


@router.get(
    "", responses=_LOOKUP_ERRORS, dependencies=[Depends(require(Permission.decisions_read))]
)
def list_decisions(referral_id: ReferralId, log: DecisionLogDep) -> ReferralDecisions:
    """List the decisions scored for a referral, oldest first: to find a lost decision_id.

    The latest ones only, if it was scored very often (``earlier_left_out``); none (200) for
    a referral never scored. Nothing listed is withheld from a screener (the screener view
    leaves out the logged input, features and outcomes), so every reader sees the same.
    """
    return find_decisions(log, referral_id)


@router.post(
    "/{decision_id}/screening",
    status_code=201,
    responses={
        **_ERRORS,
        403: {
            "description": "The key's role lacks the permission (code forbidden), or the "
            "decision screens out a screen-in the rules require and the role lacks "
            "decisions:override (code override_not_permitted)."
        },
        409: {"description": "A screening decision is already on record for this id."},
        422: {
            "description": "Invalid, or no reason/supervisor when overriding a required screen-in."
        },
    },
)
def post_screening(
    request: Request,
    decision_id: DecisionId,
    body: ScreeningRequest,
    log: DecisionLogDep,
    writer: WriterDep,
) -> Appended:
    """Record the screener's decision, ratings, reason and referral statuses (once)."""
    may_override = allows(writer.role, Permission.decisions_override)
    return record_screening(
        log,
        decision_id,
        body,
        may_override=may_override,
        recorded_by=writer.recorded_as(),
        known_services=_directory_ids(request),
    )


@router.post("/{decision_id}/referrals", status_code=201, responses=_ERRORS)
def post_referral_statuses(
    request: Request,
    decision_id: DecisionId,
    body: ReferralStatusBatch,
    log: DecisionLogDep,
    writer: WriterDep,
) -> Appended:
    """Record later statuses of the community referrals (made, accepted, declined...).

    Each must name a service the decision suggested or one in the directory (422
    ``unknown_service`` otherwise).
    """
    return record_referral_statuses(
        log,
        decision_id,
        body,
        recorded_by=writer.recorded_as(),
        known_services=_directory_ids(request),
    )


def _directory_ids(request: Request) -> Container[str] | None:
    # The directory as this worker holds it now; None (no check) if none is loaded.
    holder = getattr(request.app.state, "directory", None)
    return None if holder is None else holder.current.services


@router.get("/{decision_id}", responses=_ERRORS)
def read_decision(
    decision_id: DecisionId, log: DecisionLogDep, reader: ReaderDep
) -> DecisionRecord:
    """Return the record: score, rules, referrals, screening, statuses (outcomes: supervisors)."""
    record = get_decision(log, decision_id)
    if allows(reader.role, Permission.decisions_read_full):
        return record
    return screener_view(record)

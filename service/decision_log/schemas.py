"""What screeners send back and what the log returns: screening decisions, statuses, records."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any, Final, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from models import Band, ScreeningScore
from models.referral import EARLIEST_RECEIVED, LATEST_RECEIVED, Identifier
from service.referrals.status import ReferralStatusUpdate
from service.rules import RecommendationValue

DECISIONS_LISTED: Final = 50
"""How many of one referral's decisions a look-up lists: the latest (a referral scored again
and again by a client in a retry loop would otherwise make the answer as long as the loop)."""
OVERRIDES_LISTED: Final = 500
"""How many overrides the list of overrides shows: the newest (a long open period would
otherwise make one answer of every override on record)."""
LEEWAY_MINUTES: Final = 5
"""How far ``decided_at`` may lie after the server's clock (the screener's clock may be ahead)."""
_DECIDED_AT_ACCEPTED: Final = (
    f"accepted: the moment the decision was made, at most {LEEWAY_MINUTES} minutes after the "
    "server's clock (leave it out to use the server's time)"
)


def _plausible_decision_time(value: dt.datetime) -> dt.datetime:
    # The append-only log keeps whatever is written: 0001-01-01 or 9999-12-31 would stay
    # there, and skew every report by decision time. First the day in its own offset (years
    # 1 and 9999 cannot even be moved to UTC), then the clock.
    day = value.date()
    if not EARLIEST_RECEIVED <= day <= LATEST_RECEIVED:
        raise ValueError(
            f"day {day} is outside {EARLIEST_RECEIVED} to {LATEST_RECEIVED}; {_DECIDED_AT_ACCEPTED}"
        )
    now = dt.datetime.now(dt.UTC)
    if value > now + dt.timedelta(minutes=LEEWAY_MINUTES):
        raise ValueError(
            f"{value.isoformat()} is after the server's clock "
            f"({now.isoformat(timespec='seconds')}) by more than {LEEWAY_MINUTES} minutes; "
            f"{_DECIDED_AT_ACCEPTED}"
        )
    return value


class ScreeningOutcome(StrEnum):
    """What the screener decided."""

    screened_in = "screened_in"
    screened_out = "screened_out"


class RiskRating(StrEnum):
    """The screener's own rating of future risk."""

    low = "low"
    moderate = "moderate"
    high = "high"


class SafetyRating(StrEnum):
    """The screener's own rating of immediate safety."""

    no_threat = "no_threat"
    impending_danger = "impending_danger"
    present_danger = "present_danger"


class ReasonCode(StrEnum):
    """Documented reasons for a decision, required when going against a required screen-in."""

    no_allegation_of_maltreatment = "no_allegation_of_maltreatment"
    """The report, read in full, alleges nothing that meets the statutory definition."""
    information_contradicts_record = "information_contradicts_record"
    """The caller or collateral contacts contradict the records the score used."""
    already_open_case = "already_open_case"
    """The family has an open investigation or case that covers this report."""
    duplicate_report = "duplicate_report"
    """The same incident was already reported and screened."""
    outside_jurisdiction = "outside_jurisdiction"
    """The family lives outside the agency's jurisdiction; transferred."""
    family_connected_to_services = "family_connected_to_services"
    """The need is met by a community service the family is already engaged with."""
    immediate_safety_concern = "immediate_safety_concern"
    """A present or impending danger the score does not see (screening in against the tool)."""
    supervisor_directed = "supervisor_directed"
    """A supervisor decided after review."""
    other = "other"
    """Anything else; the note must say what."""


class ScreeningRequest(BaseModel):
    """A screener's decision on one scored referral."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    decision: ScreeningOutcome
    screener_risk: RiskRating
    screener_safety: SafetyRating
    screener_id: Identifier = Field(description="Pseudonymous staff id of the screener.")
    unit: Identifier = Field(description="The screener's unit or team.")
    reason_code: ReasonCode | None = Field(
        default=None,
        description="Required (with supervisor_id) when screening out a screen_in_required.",
    )
    reason_note: Annotated[str, Field(max_length=2000)] | None = None
    supervisor_id: Identifier | None = None
    referral_statuses: Annotated[list[ReferralStatusUpdate], Field(max_length=50)] = []
    decided_at: Annotated[AwareDatetime, AfterValidator(_plausible_decision_time)] | None = Field(
        default=None,
        description="When the decision was made (at most 5 minutes after the server's clock, "
        "not before 1900); the server time if omitted.",
    )


class ReferralStatusBatch(BaseModel):
    """Later status updates of community referrals (the closed loop)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    statuses: Annotated[list[ReferralStatusUpdate], Field(min_length=1, max_length=50)]


class DecisionRecord(BaseModel):
    """Everything on record about one scoring, oldest first."""

    decision_id: str
    recorded_at: str = Field(description="When the score was written (UTC).")
    score: dict[str, Any] = Field(description="The score response as logged, inputs hashed.")
    screening: dict[str, Any] | None
    referral_statuses: list[dict[str, Any]]
    outcomes: list[dict[str, Any]]
    chain: list[dict[str, Any]] = Field(description="seq and hash of each record shown.")
    withheld: list[str] = Field(
        default=[], description="Parts left out for the caller's role (e.g. score.referral)."
    )


class DecisionSummary(BaseModel):
    """One scoring of a referral: what a client that lost the response needs to carry on."""

    decision_id: str = Field(description="The id POST /v1/score returned for this scoring.")
    recorded_at: str = Field(description="When the score was written (UTC).")
    model_version: int = Field(description="Registry version of the model that scored it.")
    rules_version: str = Field(description="Version of the policy rule set applied.")
    score: ScreeningScore
    band: Band
    recommendation: RecommendationValue = Field(description="The recommendation's value.")
    screening: ScreeningOutcome | None = Field(
        description="The screening decision on record for it; null while none is."
    )


class ReferralDecisions(BaseModel):
    """The decisions scored for one referral, oldest first."""

    decisions: list[DecisionSummary] = Field(
        description=f"At most {DECISIONS_LISTED}: the latest; empty if it was never scored."
    )
    earlier_left_out: bool = Field(
        description=f"Whether the referral was scored more than {DECISIONS_LISTED} times, so "
        "its earliest decisions are not listed."
    )


class Appended(BaseModel):
    """Acknowledgement of a record written to the chain."""

    decision_id: str
    seq: int
    hash: str


class ReportPeriod(BaseModel):
    """The received days a report covers, both included; null leaves that end open."""

    since: dt.date | None
    until: dt.date | None


class OverrideRow(BaseModel):
    """One screening decision that went against the tool alone: no family identifier."""

    decision_id: str = Field(description="Opened with GET /v1/decisions/{decision_id}.")
    received_date: dt.date = Field(description="The day the referral was received.")
    unit: str = Field(description="The screener's unit or team.")
    score: ScreeningScore
    recommendation: RecommendationValue = Field(description="The rules' recommendation.")
    tool_alone: Literal["screen_in", "screen_out"] = Field(
        description="screen_in when the rules screen in by themselves or the score is at or "
        "above the threshold; screen_out otherwise."
    )
    decision: ScreeningOutcome = Field(description="The screener's decision, against it.")
    reason_code: str | None
    supervisor_id: str | None = Field(description="The supervisor who signed off, if named.")
    decided_at: str | None = Field(description="When the decision was made, as recorded.")


class OverrideList(BaseModel):
    """The screened decisions that went against the tool alone, newest first."""

    threshold: int = Field(description="HOTLINE_MONITOR_THRESHOLD: the tool alone's cutoff.")
    period: ReportPeriod
    unit: str | None = Field(description="The unit asked for; null for every unit.")
    overrides: list[OverrideRow] = Field(
        description=f"At most {OVERRIDES_LISTED}: the latest received (the latest recorded "
        "first within a day)."
    )
    total: int = Field(description="Overrides in the period (and unit), listed or not.")
    left_out: int = Field(description="Overrides not listed: older than those listed.")

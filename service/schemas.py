"""The API contract: what `/v1/score` and its siblings return."""

from __future__ import annotations

from pydantic import BaseModel, Field

from models import Band, Factor, Probability, ScreeningScore
from service.referrals import ReferralSuggestion, UnmetNeed
from service.rules import Recommendation, RuleHit


class ScoreResponse(BaseModel):
    """Decision support for one referral: rules and model kept apart, referrals suggested."""

    decision_id: str = Field(description="Identifier of this scoring, for feedback and audit.")
    referral_id: str
    model_version: int = Field(description="Registry version of the model that scored this.")
    rules_version: str = Field(description="Version of the policy rule set applied.")
    probability: Probability = Field(description="Calibrated probability of the model's label.")
    score: ScreeningScore = Field(description="Ventile of the training distribution, 1-20.")
    band: Band
    label: str = Field(description="What the probability is of, e.g. removal within 2 years.")
    recommendation: Recommendation
    rule_hits: list[RuleHit]
    explanation: list[Factor] = Field(description="Top factors, largest effect first.")
    referrals: list[ReferralSuggestion] = Field(
        description="Community services matched to the family's needs (several, never one)."
    )
    unmet_needs: list[UnmetNeed] = Field(
        default=[],
        description="The family's needs no listed option meets, in priority order, each with "
        "why (over the limit, none in reach, none in the directory).",
    )
    referral_note: str | None = Field(
        default=None, description="Why no need was derived for the family, when none was."
    )


class Health(BaseModel):
    """Liveness."""

    status: str


class Readiness(BaseModel):
    """Whether the service can score, and with what."""

    status: str
    model_version: int | None
    rules_version: str | None
    detail: str | None = None


class ErrorField(BaseModel):
    """One part of a request at fault."""

    field: str = Field(description="Where: a dotted path (children.0.age_years), or body.")
    message: str = Field(description="What was wrong and, where it helps, what is accepted.")
    type: str | None = Field(default=None, description="Stable machine-readable kind.")
    accepted: str | None = Field(default=None, description="The values accepted, if listed.")


class ErrorDetail(BaseModel):
    """What went wrong, readable and machine-readable."""

    code: str = Field(description="Stable code, e.g. invalid_request, forbidden.")
    message: str = Field(description="One readable sentence.")
    fields: list[ErrorField] = Field(description="Each part of the request at fault; may be empty.")


class ErrorBody(BaseModel):
    """The body of every error response (4xx and 5xx) this service sends."""

    error: ErrorDetail
    request_id: str | None = Field(
        default=None, description="Also in the X-Request-ID header; quote it when reporting."
    )

"""`POST /v1/score`: rules, model and referral suggestions for one referral."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request

from models import Referral, score_referral
from service.errors import error_body
from service.referrals import suggest_referrals
from service.rules import evaluate_rules
from service.schemas import ScoreResponse

router = APIRouter(tags=["scoring"])

_ERRORS = {
    422: {"description": "The referral is invalid; the body names each field at fault."},
    503: {"description": "No model is loaded; the body says how to build one."},
}


@router.post("/v1/score", response_model=ScoreResponse, responses=_ERRORS)  # type: ignore[arg-type]
async def score(referral: Referral, request: Request) -> ScoreResponse:
    """Score one referral, apply the policy rules and suggest community services."""
    # async: this is sub-millisecond CPU work with no I/O; a threadpool hop would cost more.
    state = request.app.state
    loaded = state.models.current  # read once: a model swap mid-request cannot mix versions
    ruleset = state.rules.current
    result = score_referral(loaded.model, referral)
    outcome = evaluate_rules(
        ruleset,
        referral,
        probability=result.probability,
        score=result.score,
        band=result.band.value,
    )
    suggestions = suggest_referrals(
        state.directory,
        referral,
        limit=state.settings.referral_limit,
    )
    return ScoreResponse(
        decision_id=uuid.uuid4().hex,
        referral_id=referral.referral_id,
        model_version=loaded.version,
        rules_version=outcome.rules_version,
        probability=result.probability,
        score=result.score,
        band=result.band,
        label=loaded.model.label,
        recommendation=outcome.recommendation,
        rule_hits=outcome.rule_hits,
        explanation=result.explanation,
        referrals=suggestions,
    )


__all__ = ["error_body", "router"]

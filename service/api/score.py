"""`POST /v1/score`: rules, model and referral suggestions for one referral."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request

from models import Referral, build_features, score_referral
from service.auth import Permission, require
from service.decision_log import record_score
from service.errors import error_body
from service.referrals import suggest_referrals
from service.rules import evaluate_rules
from service.schemas import ScoreResponse

router = APIRouter(tags=["scoring"])

_ERRORS = {
    422: {"description": "The referral is invalid; the body names each field at fault."},
    503: {
        "description": "No model is loaded, or the decision log cannot be written "
        "(code decision_log_unavailable): no score is returned unrecorded."
    },
}


@router.post(
    "/v1/score",
    response_model=ScoreResponse,
    responses=_ERRORS,  # type: ignore[arg-type]
    dependencies=[Depends(require(Permission.score))],
)
def score(referral: Referral, request: Request) -> ScoreResponse:
    """Score one referral, apply the policy rules and suggest community services."""
    # def, not async: the decision-log write below is blocking I/O, so the route runs in the
    # threadpool (docs/decision-log.md has the figures for both choices).
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
    response = ScoreResponse(
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
    # Written before it is returned: if this raises, the client gets a 503 and no score.
    record_score(state.decision_log, response, referral=referral, features=build_features(referral))
    return response


__all__ = ["error_body", "router"]

"""`POST /v1/score`: rules, model and referral suggestions for one referral."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from models import Referral, build_features, score_features
from service.api.json_body import parse_body, request_body
from service.auth import GuardedRoute, Permission, require
from service.decision_log import score_record
from service.errors import error_body
from service.ids import random_hex_id
from service.referrals import match_referral, needs_from_rules
from service.rules import evaluate_rules
from service.schemas import ScoreResponse

router = APIRouter(tags=["scoring"], route_class=GuardedRoute)

_ERRORS = {
    422: {"description": "The referral is invalid; the body names each field at fault."},
    503: {
        "description": "No model is loaded; the decision log cannot be written (code "
        "decision_log_unavailable: no score is returned unrecorded); or this worker's rules "
        "file is refused (code rules_unavailable)."
    },
}


@router.post(
    "/v1/score",
    response_model=ScoreResponse,
    responses=_ERRORS,  # type: ignore[arg-type]
    dependencies=[Depends(require(Permission.score))],
    openapi_extra=request_body(Referral),
)
async def score(request: Request) -> Response:
    """Score one referral, apply the policy rules and suggest community services."""
    # The body is validated from its bytes in one pass (see service.api.json_body).
    referral = parse_body(await request.body(), Referral)
    # async: the CPU work (~1.8 ms under load, docs/performance.md) runs on the event loop
    # without a threadpool hop, and the decision-log write is awaited, not blocked on: the
    # log's writer thread commits it with the other requests' records (group commit).
    state = request.app.state
    loaded = state.models.current  # read once: a model swap mid-request cannot mix versions
    ruleset = state.rules.current
    features = build_features(referral)  # once: scored here and written to the log below
    result = score_features(loaded.model, features)
    outcome = evaluate_rules(
        ruleset,
        referral,
        probability=result.probability,
        score=result.score,
        band=result.band.value,
    )
    # The needs the rules that fired suggest come first (docs/referrals.md).
    matched = match_referral(
        state.directory.current,
        referral,
        limit=state.settings.referral_limit,
        rule_needs=needs_from_rules(outcome.rule_hits),
    )
    # Validated (pydantic 2.14 validates these already-built parts faster than
    # model_construct copies them), but not again by FastAPI's response_model check.
    response = ScoreResponse(
        decision_id=random_hex_id(),
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
        referrals=matched.suggestions,
        unmet_needs=matched.unmet,
        referral_note=matched.note,
    )
    # Serialized once: the same bytes go to the client and (parsed back) into the log record.
    # The JSON FastAPI would produce from response_model (which stays declared for the
    # OpenAPI schema), written by pydantic without validating the response again.
    body = response.model_dump_json()
    # Written before it is returned: if this raises, the client gets a 503 and no score.
    record = score_record(
        state.decision_log,
        response,
        referral=referral,
        features=features,
        response_json=body,
        rules_sha256=outcome.rules_sha256,
        recorded_by=request.state.principal.recorded_as(),
    )
    await state.decision_log.committer.submit_async(record)
    request.state.model_version = loaded.version  # for the access log line
    state.metrics.observe_score(
        band=result.band.value,
        recommendation=outcome.recommendation.value,
        rule_ids=[hit.id for hit in outcome.rule_hits],
        model_version=loaded.version,
    )
    return Response(content=body, media_type="application/json")


__all__ = ["error_body", "router"]

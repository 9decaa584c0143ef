"""`POST /v1/score`: rules, model and referral suggestions for one referral."""

from __future__ import annotations

import datetime as dt
from typing import Final

from fastapi import APIRouter, Depends, Request, Response
from fastapi.exceptions import RequestValidationError

from models import Referral, build_features, score_features
from service.api.json_body import parse_body, request_body
from service.auth import GuardedRoute, Permission, require
from service.decision_log import score_record
from service.decision_log.schemas import LEEWAY_MINUTES
from service.errors import error_body
from service.ids import random_hex_id
from service.referrals import match_referral, needs_from_rules
from service.rules import evaluate_rules
from service.schemas import ScoreResponse

router = APIRouter(tags=["scoring"], route_class=GuardedRoute)

_RECEIVED_AT_ACCEPTED: Final = (
    f"accepted: when the hotline received the report, at most {LEEWAY_MINUTES} minutes after "
    "the server's clock (the features count back from it)"
)
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
    _require_received_by_now(referral)
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


def _require_received_by_now(referral: Referral) -> None:
    # The contract bounds received_at by fixed years (a row validates the same whenever it is
    # read); a live score also needs it not ahead of the clock: a report received "in 2030"
    # moved every window counted back from it and scored 12 where it scored 16.
    now = dt.datetime.now(dt.UTC)
    if referral.received_at > now + dt.timedelta(minutes=LEEWAY_MINUTES):
        message = (
            f"{referral.received_at.isoformat()} is after the server's clock "
            f"({now.isoformat(timespec='seconds')}) by more than {LEEWAY_MINUTES} minutes; "
            f"{_RECEIVED_AT_ACCEPTED}"
        )
        error = {"loc": ("body", "received_at"), "msg": message, "type": "value_error"}
        raise RequestValidationError([{**error, "input": None}])

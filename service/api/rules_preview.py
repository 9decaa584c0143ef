"""`POST /v1/rules/preview`: what a proposed rules file would change on posted cases.

A case posted without ``probability``, ``score`` or ``band`` is scored with the model in service,
as ``POST /v1/score`` would score it, so score-based rules and the band defaults are previewed as
they would apply. Without a loaded model such cases are counted (``unscored``) and the rules that
need a score are named (``rules_not_evaluated``) rather than silently never firing. A proposed
file whose version was first served with other content is previewed all the same, and the
response says the service would refuse it (``version_conflict``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field

from service.api.rules import RulesDep
from service.auth import GuardedRoute, Permission, require
from service.decision_log import DecisionLog
from service.decision_log.errors import DecisionLogUnavailable
from service.decision_log.rules_versions import find_claim
from service.errors import ModelUnavailable
from service.model_holder import LoadedModel
from service.rules import RecommendationValue, RulesError, RuleSet, parse_rules
from service.rules.holder import claimed_for_other_content
from service.rules.preview import Case, NumberedCase, compare_rule_sets

router = APIRouter(prefix="/v1/rules", tags=["rules"], route_class=GuardedRoute)
MAX_CASES = 500
MAX_RULES_CHARS = 100_000


class PreviewRequest(BaseModel):
    """A proposed rules file (YAML text) and the cases to try it on."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rules_yaml: Annotated[str, Field(min_length=1, max_length=MAX_RULES_CHARS)]
    cases: Annotated[list[Case], Field(min_length=1, max_length=MAX_CASES)]


class Transition(BaseModel):
    """How many cases moved from one recommendation to another."""

    before: RecommendationValue
    after: RecommendationValue
    count: int


class ChangedCaseView(BaseModel):
    """A case whose recommendation differs (index: its position in ``cases``)."""

    index: int
    referral_id: str
    before: RecommendationValue
    after: RecommendationValue
    rule_ids: list[str]


class PreviewResponse(BaseModel):
    """Differences between the active rules and the proposed ones on the posted cases."""

    active_version: str
    proposed_version: str
    cases: int
    transitions: list[Transition]
    hits_active: dict[str, int]
    hits_proposed: dict[str, int]
    changed: list[ChangedCaseView]
    model_version: int | None = Field(
        description="The version of the model in service that scored the cases posted without "
        "probability, score or band; null when none was scored."
    )
    scored_by_model: int = Field(
        description="Cases posted without probability, score or band, scored with the model."
    )
    unscored: int = Field(
        description="Cases posted without probability, score or band while no model was "
        "loaded: they were evaluated without a score."
    )
    rules_not_evaluated: list[str] = Field(
        description="With unscored cases: the rules (of either set) that need the score, band "
        "or probability, so could not be evaluated on them; the band defaults did not apply "
        "to them either."
    )
    version_conflict: str | None = Field(
        description="Set when the proposed version was first served with other content (the "
        "posted text's SHA-256 differs): the service would refuse this file, so raise its "
        "version; one line saying when. Null when the version is new, was served with this "
        "same content, or the decision log could not be read (a reload checks it again)."
    )


def model_in_service(request: Request) -> LoadedModel | None:
    """Read the model the service scores with, if one is loaded.

    Parameters
    ----------
    request : fastapi.Request
        The current request.

    Returns
    -------
    LoadedModel or None
        Read once, so every case of one preview is scored by the same version. ``None`` when
        no model is loaded: the service runs without one (``/ready`` says why), and a preview
        is still useful, saying what it could not evaluate.
    """
    try:
        loaded: LoadedModel = request.app.state.models.current
    except ModelUnavailable:
        return None
    return loaded


ModelDep = Annotated[LoadedModel | None, Depends(model_in_service)]


def decision_log_in_service(request: Request) -> DecisionLog | None:
    """Read the decision log the app opened, if it has one.

    Parameters
    ----------
    request : fastapi.Request
        The current request.

    Returns
    -------
    DecisionLog or None
        Its claims say which content each rules version was first served with.
    """
    decision_log: DecisionLog | None = getattr(request.app.state, "decision_log", None)
    return decision_log


LogDep = Annotated[DecisionLog | None, Depends(decision_log_in_service)]


def version_conflict(decision_log: DecisionLog | None, proposed: RuleSet) -> str | None:
    """Say whether the proposed version was first served with other content.

    Parameters
    ----------
    decision_log : DecisionLog or None
    proposed : RuleSet

    Returns
    -------
    str or None
        The refusal the service would log on reloading such a file; None when the version is
        new, was served with this content, or the log cannot be read (the preview is still
        worth having, and the reload checks again).
    """
    if decision_log is None:
        return None
    try:
        claim = find_claim(decision_log, proposed.version)
    except DecisionLogUnavailable:
        return None
    if claim is None or claim.sha256 == proposed.sha256:
        return None
    return str(claimed_for_other_content(proposed, since=claim.first_served_at))


def _invalid(field: str, message: str, value: Any) -> RequestValidationError:
    error = {"loc": ("body", field), "msg": message, "type": "value_error", "input": value}
    return RequestValidationError([error])


@router.post(
    "/preview",
    responses={422: {"description": "The rules YAML or a case is invalid; the body names it."}},
    dependencies=[Depends(require(Permission.rules_preview))],
)
def preview_rules(
    body: PreviewRequest, active: RulesDep, loaded: ModelDep, decision_log: LogDep
) -> PreviewResponse:
    """Run a proposed rules file and the active one over the cases and count what changes.

    Cases posted without probability, score or band are scored with the model in service.
    ``version_conflict`` says when the proposed version was first served with other content.
    """
    try:
        proposed = parse_rules(body.rules_yaml, source="proposed")
    except RulesError as exc:
        raise _invalid("rules_yaml", str(exc), None) from None
    numbered = [NumberedCase(index, case) for index, case in enumerate(body.cases)]
    try:
        model = None if loaded is None else loaded.model
        result = compare_rule_sets(proposed, active, numbered, model=model, source="cases")
    except RulesError as exc:
        raise _invalid("cases", str(exc), None) from None
    return PreviewResponse(
        active_version=active.version,
        proposed_version=proposed.version,
        cases=result.cases,
        transitions=[
            Transition(before=b, after=a, count=n) for (b, a), n in result.transitions.items()
        ],
        hits_active=dict(result.hits_active),
        hits_proposed=dict(result.hits_proposed),
        changed=[
            ChangedCaseView(
                index=c.line,
                referral_id=c.referral_id,
                before=c.before,
                after=c.after,
                rule_ids=c.rule_ids,
            )
            for c in result.changed
        ],
        model_version=loaded.version if loaded is not None and result.scored else None,
        scored_by_model=result.scored,
        unscored=result.unscored,
        rules_not_evaluated=result.rules_not_evaluated,
        version_conflict=version_conflict(decision_log, proposed),
    )

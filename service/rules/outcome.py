"""What evaluating a rule set on one referral returns."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from models.referral import Need
from service.rules.recommendation import ActionType, Recommendation


class RuleHit(BaseModel):
    """One rule that fired, with its citation and filled-in explanation."""

    model_config = ConfigDict(frozen=True)

    id: str
    title: str
    action: ActionType
    citation: str
    explanation: str
    suggest_needs: list[Need] = []


class RulesOutcome(BaseModel):
    """Every rule that fired, the one recommendation, and the needs the rules suggest.

    ``rules_version`` and ``rules_sha256`` identify the rule set that produced it, taken from
    the same :class:`RuleSet` as the hits, so a reload between them cannot mix two sets.
    """

    model_config = ConfigDict(frozen=True)

    rules_version: str
    rules_sha256: str
    rule_hits: list[RuleHit]
    recommendation: Recommendation
    suggested_needs: list[Need]
